"""Exact sums of masked site payloads: pairwise masks cancel, leaving the pooled totals."""

from __future__ import annotations

import decimal
from collections.abc import Mapping, Sequence
from decimal import Decimal

from rwe.errors import StatisticsError

# Masks are ~1e26 with 12 decimals, values carry up to ~17 significant digits: 120 digits keep
# every sum exact, so the masks cancel to the last digit.
_CONTEXT = decimal.Context(prec=120)

Payload = Mapping[str, Decimal]


def pooled_sum(payloads: Mapping[str, Payload]) -> dict[str, float]:
    """Per-label sum over sites (keyed by site name); every site must send the same labels."""
    if not payloads:
        raise StatisticsError("no site answered", "Check the sites.")
    names = sorted(payloads)
    labels = set(payloads[names[0]])
    for name in names[1:]:
        if set(payloads[name]) != labels:
            raise StatisticsError(
                f"site {name} answered with other labels than site {names[0]}",
                "All sites must run the same rwe federation version (site-setup).",
            )
    totals: dict[str, float] = {}
    for label in labels:
        total = Decimal(0)
        for name in names:
            total = _CONTEXT.add(total, payloads[name][label])
        totals[label] = float(total)
    return totals


def vector(totals: Mapping[str, float], labels: Sequence[str]) -> list[float]:
    """Values of `labels` in order."""
    return [totals[label] for label in labels]
