"""DVC stage ``ingest``: raw sources -> data/interim/*.parquet (+ quarantine) and data/metrics/ingest.json."""

from __future__ import annotations

import logging
from pathlib import Path

from pipelines._common import setup, timed
from voc.config import load_section
from voc.ingest import IngestConfig, run_ingest
from voc.io import write_json, write_parquet

log = logging.getLogger("voc.pipeline.ingest")


def main() -> None:
    """Read params, ingest every source, write the interim tables, the quarantine and the counts."""
    args, params, base = setup("ingest", __doc__ or "ingest")
    config = load_section(params, "ingest", IngestConfig)
    root = Path(args.root)
    with timed("ingest"):
        result = run_ingest(config, root, timezone=base.timezone)
        for name, frame in {**result.tables, "quarantine": result.quarantine}.items():
            write_parquet(frame, root / "data" / "interim" / f"{name}.parquet")
        write_json(result.metrics, root / "data" / "metrics" / "ingest.json")
    m = result.metrics
    log.info("ingest: %d rows in, %d out, %d quarantined", m["rows_in"], m["rows_out"], m["rows_quarantined"])


if __name__ == "__main__":
    main()
