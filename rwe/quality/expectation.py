"""`ExpectDqdCheckToPass`: one DQD-style aggregate SQL check as a great-expectations expectation."""

from __future__ import annotations

from typing import Any, ClassVar

from great_expectations.expectations import UnexpectedRowsExpectation

VIOLATED = "num_violated_rows"
DENOMINATOR = "num_denominator_rows"


class ExpectDqdCheckToPass(UnexpectedRowsExpectation):
    """Passes when the check's failing rows are at most `threshold` percent of its rows.

    The query runs inside PostgreSQL and returns one row of counts (`num_violated_rows`,
    `num_denominator_rows`), never the rows themselves. UnexpectedRowsExpectation documents
    overriding `_validate`; the base class would also run the query a second time to count its
    rows, so this one depends on the query's result only (one aggregate per check).
    """

    check_id: str
    threshold: float = 0.0

    metric_dependencies: ClassVar[tuple[str, ...]] = ("unexpected_rows_query.table",)

    def _validate(
        self,
        metrics: dict[str, Any],
        runtime_configuration: dict[str, Any] | None = None,
        execution_engine: Any = None,
    ) -> dict[str, Any]:
        rows = metrics["unexpected_rows_query.table"]
        row = rows[0] if rows else {}
        violated = int(row.get(VIOLATED) or 0)
        denominator = int(row.get(DENOMINATOR) or 0)
        pct = 100.0 * violated / denominator if denominator else 0.0
        return {
            "success": pct <= self.threshold,
            "result": {
                "observed_value": violated,
                "details": {
                    VIOLATED: violated,
                    DENOMINATOR: denominator,
                    "pct_violated_rows": round(pct, 4),
                    "threshold": self.threshold,
                },
            },
        }
