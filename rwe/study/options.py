"""Options of `rwe analyze sorafenib`; the report states every value used."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from rwe.errors import BadInputError

HISTOLOGIES = ("dtc", "mtc", "atc", "all")
# Paper 004: high = value >= cutoff.
DEFAULT_MARKER_CUTOFFS = {"alc": 1500.0, "nlr": 3.0, "plr": 150.0, "lmr": 4.0}


@dataclass(frozen=True)
class SorafenibOptions:
    histology: str = "all"
    cutoff: dt.date | None = None  # data cutoff; None = latest date in the data
    baseline_window_days: int = 30
    min_duration_days: int = 30
    marker_cutoffs: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_MARKER_CUTOFFS))
    ties: str = "breslow"
    ignore_gates: bool = False

    def __post_init__(self) -> None:
        if self.histology not in HISTOLOGIES:
            raise BadInputError(
                f"unknown histology {self.histology!r}", f"Use one of {', '.join(HISTOLOGIES)}."
            )
        if self.ties not in ("breslow", "efron"):
            raise BadInputError(f"unknown ties method {self.ties!r}", "Use breslow or efron.")
        unknown = set(self.marker_cutoffs) - set(DEFAULT_MARKER_CUTOFFS)
        if unknown:
            raise BadInputError(
                f"unknown marker(s) {', '.join(sorted(unknown))} in --marker-cutoffs",
                "Use ALC, NLR, PLR or LMR, e.g. --marker-cutoffs LMR=4,NLR=3.",
            )


def parse_marker_cutoffs(text: str | None) -> dict[str, float]:
    """`LMR=4,NLR=2.5` → defaults updated with those values."""
    cutoffs = dict(DEFAULT_MARKER_CUTOFFS)
    if not text:
        return cutoffs
    for part in text.split(","):
        name, sep, value = part.partition("=")
        key = name.strip().lower()
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not sep or key not in cutoffs or number != number:
            raise BadInputError(
                f"cannot read marker cutoff {part!r}", "Write it as NAME=VALUE, e.g. LMR=4,NLR=3."
            )
        cutoffs[key] = number
    return cutoffs
