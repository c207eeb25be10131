"""The ``voc`` command line: one argparse subcommand per tool (``voc sample`` for now).

Add a command by writing ``_add_<name>(subparsers)`` that registers its parser with ``func=_run_<name>``
and listing it in ``COMMANDS``.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from voc.config import BaseConfig, ConfigError, load_base, load_section, read_params

log = logging.getLogger("voc.cli")


def _load_params(path: str) -> dict:
    """Read ``params.yaml`` when it exists; an absent file means defaults everywhere."""
    return read_params(path) if Path(path).exists() else {}


def _add_sample(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sample", help="write the embedded multichannel sample data set",
                       description="Generate a realistic multichannel raw data set with planted truths.")
    p.add_argument("--out", default="data/raw", help="output folder (default: data/raw)")
    p.add_argument("--params", default="params.yaml", help="params file; defaults apply if absent")
    p.add_argument("--customers", type=int, default=None, help="number of customers (sample.n_customers)")
    p.add_argument("--items", type=int, default=None, help="number of feedback items (sample.n_items)")
    p.add_argument("--seed", type=int, default=None, help="random seed (base.seed)")
    p.add_argument("--force", action="store_true", help="overwrite the sample files in a non-empty folder")
    p.set_defaults(func=_run_sample)


def _run_sample(args: argparse.Namespace) -> int:
    from voc.sample import OutputNotEmptyError, SampleConfig, generate_sample, write_sample

    params = _load_params(args.params)
    base = load_base(params) if "base" in params else BaseConfig()
    config = load_section(params, "sample", SampleConfig)
    overrides = {k: v for k, v in (("n_customers", args.customers), ("n_items", args.items)) if v is not None}
    if overrides:
        config = dataclasses.replace(config, **overrides)
    seed = base.seed if args.seed is None else args.seed
    out = Path(args.out)
    if out.exists() and out.is_dir() and any(out.iterdir()) and not args.force:
        raise OutputNotEmptyError(f"{out}: folder is not empty; pass --force to overwrite the sample files")
    start = time.perf_counter()
    data = generate_sample(config, seed=seed, timezone=base.timezone, currency=base.currency)
    gen_s = time.perf_counter() - start
    paths = write_sample(data, out, force=args.force)
    log.info("sample: %d customers, %d items, seed %d -> %s (%d files; generate %.1f s, total %.1f s)",
             config.n_customers, len(data.truth["items"]), seed, out, len(paths), gen_s,
             time.perf_counter() - start)
    return 0


COMMANDS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (_add_sample,)


def build_parser() -> argparse.ArgumentParser:
    """The ``voc`` parser with every subcommand registered."""
    parser = argparse.ArgumentParser(prog="voc", description="Offline voice-of-customer workspace tools.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``voc`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=os.environ.get("VOC_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except (ConfigError, ValueError, FileExistsError, NotADirectoryError) as exc:
        print(f"voc {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
