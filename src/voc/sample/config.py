"""Typed config of the ``sample:`` section of ``params.yaml``."""

from __future__ import annotations

import dataclasses
import datetime as dt


@dataclasses.dataclass(frozen=True)
class SampleConfig:
    """Size and shape of the generated sample data set.

    ``n_items`` is the number of feedback items over all channels (surveys without a comment count);
    ``months`` is the length of the window that ends on ``end_date`` (a fixed date, never the clock).
    """

    n_customers: int = 5000
    n_items: int = 30000
    months: int = 18
    end_date: str = "2026-06-30"
    brand: str = "Acme"
    brand_handle: str = "@AcmeHelp"
    emerging_weeks: int = 6
    pii_share: float = 0.05
    empty_comment_share: float = 0.3
    unlinked_social_share: float = 0.05
    events_per_month: float = 3.5

    def __post_init__(self) -> None:
        if self.n_customers < 20:
            raise ValueError(f"sample.n_customers: need at least 20, got {self.n_customers}")
        if self.n_items < 100:
            raise ValueError(f"sample.n_items: need at least 100 so every channel appears, got {self.n_items}")
        if not 3 <= self.months <= 120:
            raise ValueError(f"sample.months: must be 3..120, got {self.months}")
        try:
            dt.date.fromisoformat(self.end_date)
        except ValueError as exc:
            raise ValueError(f"sample.end_date: not a YYYY-MM-DD date: {self.end_date!r}") from exc
        if not 1 <= self.emerging_weeks * 7 < self.months * 28:
            raise ValueError(f"sample.emerging_weeks: must fit in the window, got {self.emerging_weeks}")
        for name in ("pii_share", "empty_comment_share", "unlinked_social_share"):
            v = getattr(self, name)
            if not 0.0 <= v < 1.0:
                raise ValueError(f"sample.{name}: must be in [0, 1), got {v}")
        if self.events_per_month < 0:
            raise ValueError(f"sample.events_per_month: must be >= 0, got {self.events_per_month}")
