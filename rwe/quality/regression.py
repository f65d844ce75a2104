"""Nightly regression: metrics that moved too far against the previous gate run are flagged."""

from __future__ import annotations

from dataclasses import replace

from rwe.quality.catalogue import RegressionSettings
from rwe.quality.results import CheckResult


def gate_metrics(results: list[CheckResult], settings: RegressionSettings) -> dict[str, float]:
    """Metrics of one gate run, taken from its results (no extra scan of the data).

    `row_count.<table>`: rows of each table (the isPrimaryKey denominator, or person's);
    `share.<check id>`: failing share of completeness-like checks (unmapped concepts, persons
    without rows, the study's baseline coverage).
    """
    metrics: dict[str, float] = {}
    for r in results:
        if r.status in ("Not applicable", "Error") or r.num_denominator_rows is None:
            continue
        if r.check_name == "isPrimaryKey":
            metrics[f"row_count.{r.cdm_table_name}"] = float(r.num_denominator_rows)
        if r.check_name in settings.share_check_types and r.pct_violated_rows is not None:
            metrics[f"share.{r.check_id}"] = round(r.pct_violated_rows, 6)
    return metrics


def compare_metrics(
    current: dict[str, float], previous: dict[str, float], settings: RegressionSettings
) -> list[CheckResult]:
    """One `regression.<metric>` result per current metric; Failed when it moved too far."""
    out = []
    for metric_id, value in sorted(current.items()):
        is_count = metric_id.startswith("row_count.")
        limit = settings.max_row_count_change_pct if is_count else settings.max_share_change_points
        table = metric_id.split(".")[1]
        base = CheckResult(
            check_id=f"regression.{metric_id}",
            check_name="regression",
            category="Regression",
            cdm_table_name=table,
            cdm_field_name=None,
            concept_id=None,
            severity=settings.severity,
            threshold_value=limit,
            status="Not applicable",
            description=f"{metric_id} = {value:g}; no previous gate run to compare",
        )
        if metric_id not in previous:
            out.append(replace(base, not_applicable_reason="no previous value"))
            continue
        old = previous[metric_id]
        if is_count:
            change = 100.0 * abs(value - old) / max(abs(old), 1.0)
            text = f"{metric_id}: {old:g} -> {value:g} ({change:.1f} % change, limit {limit:g} %)"
        else:
            change = abs(value - old)
            text = (
                f"{metric_id}: {old:.2f} % -> {value:.2f} % ({change:.2f} points, limit {limit:g})"
            )
        status = "Failed" if change > limit else "Passed"
        out.append(
            replace(base, status=status, description=text, pct_violated_rows=round(change, 4))
        )
    return out
