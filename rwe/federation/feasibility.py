"""`rwe federate count`: feasibility counts per site (suppressed at the site) and pooled."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from rwe.federation.network import Network
from rwe.federation.report import DEFAULT_MIN_CELL, suppress
from rwe.federation.secure_sum import pooled_sum


@dataclass(frozen=True)
class FeasibilityCounts:
    """measure -> site -> count (None = suppressed), and measure -> pooled count."""

    measures: list[str]
    per_site: dict[str, dict[str, int | None]]
    pooled: dict[str, int | None]
    missing: dict[str, str]
    masking: bool


def count_feasibility(net: Network, min_cell: int = DEFAULT_MIN_CELL) -> FeasibilityCounts:
    """Cohort size, baseline labs, events and histology per site and pooled (secure sum)."""
    rows = net.call_rows("feasibility")
    per_site: dict[str, dict[str, int | None]] = {}
    masked: dict[str, dict[str, Decimal]] = {}
    for site, site_rows in rows.items():
        per_site[site] = {str(m): (None if v is None else int(v)) for m, v, _ in site_rows}
        masked[site] = {str(m): Decimal(mv) for m, _, mv in site_rows}
    totals = pooled_sum(masked)
    measures = sorted(totals)
    pooled = {m: suppress(round(totals[m]), min_cell) for m in measures}
    return FeasibilityCounts(measures, per_site, pooled, dict(net.missing), net.options.masking)
