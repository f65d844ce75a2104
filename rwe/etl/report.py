"""The run report: per resource type read / loaded / rejected / excluded by reason, unmapped
codes, speed and versions (§f2o-102); stored in rwe.run.report and printed."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from rwe.etl.pipeline import UNSUPPORTED, Counts

OLDER = "older than the loaded version (meta.lastUpdated)"
SUPERSEDED = "a newer version of it is in this run"
TOP_UNMAPPED = 20


@dataclass
class TypeCounts:
    read: int = 0
    loaded: int = 0
    unchanged: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    excluded: Counter[str] = field(default_factory=Counter)
    deleted: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "loaded": self.loaded,
            "unchanged": self.unchanged,
            "rejected": sum(self.rejected.values()),
            "rejected_by_reason": dict(self.rejected),
            "excluded": sum(self.excluded.values()),
            "excluded_by_reason": dict(self.excluded),
            "deleted": self.deleted,
            "balanced": self.read
            == self.loaded + sum(self.rejected.values()) + sum(self.excluded.values()),
        }


def tally(counts: Counts, outcomes: list[tuple[Any, ...]]) -> dict[str, TypeCounts]:
    """Combine the read-time counts with the merge outcomes, per resource type."""
    types: defaultdict[str, TypeCounts] = defaultdict(TypeCounts)
    for kind, n in counts.read.items():
        types[kind].read += n
    for kind, n in counts.unchanged.items():
        types[kind].loaded += n
        types[kind].unchanged += n
    for kind, reasons in counts.rejected.items():
        types[kind].rejected.update(reasons)
    for kind, n in counts.unsupported.items():
        types[kind].excluded[UNSUPPORTED] += n
    for kind, action, outcome, reason, n in outcomes:
        entry = types[kind]
        n = int(n)
        if action == "deleted":
            if outcome == "apply":
                entry.deleted += n
            continue
        if outcome == "superseded":
            entry.excluded[SUPERSEDED] += n
        elif outcome == "older":
            entry.excluded[OLDER] += n
        elif outcome == "rejected":
            entry.rejected[reason.split(":", 1)[0]] += n
        elif action == "excluded":
            entry.excluded[reason] += n
        else:  # apply or unchanged
            entry.loaded += n
            if outcome == "unchanged":
                entry.unchanged += n
    return dict(sorted(types.items()))


def render(report: dict[str, Any]) -> str:
    """The report as text (what `rwe etl` and `rwe runs show` print)."""
    lines = [
        f"run {report.get('run_id')}: {report.get('status')} in "
        f"{report.get('duration_seconds', 0):.1f} s "
        f"({report.get('resources_per_second', 0):,.0f} resources/s)",
        "versions: " + ", ".join(f"{k} {v}" for k, v in (report.get("versions") or {}).items()),
        f"{'resource type':<26}{'read':>10}{'loaded':>10}{'unchanged':>10}"
        f"{'rejected':>10}{'excluded':>10}{'deleted':>9}",
    ]
    for kind, c in (report.get("resources") or {}).items():
        lines.append(
            f"{kind:<26}{c['read']:>10,}{c['loaded']:>10,}{c['unchanged']:>10,}"
            f"{c['rejected']:>10,}{c['excluded']:>10,}{c['deleted']:>9,}"
        )
        for reason, n in sorted(c["excluded_by_reason"].items()):
            lines.append(f"    excluded {n:>8,}  {reason}")
        for reason, n in sorted(c["rejected_by_reason"].items()):
            lines.append(f"    rejected {n:>8,}  {reason}")
    rate = report.get("reject_rate", 0.0)
    lines.append(
        f"rejects: {report.get('rejected', 0):,} of {report.get('read', 0):,} "
        f"({rate:.2%}; limit {report.get('max_reject_rate', 0):.2%})"
        + (f"; see `rwe runs show {report.get('run_id')} --rejects`" if rate else "")
    )
    unmapped = report.get("unmapped_codes") or []
    if unmapped:
        lines.append(f"unmapped codes (top {len(unmapped)}, concept_id 0, §f2o-032):")
        for item in unmapped:
            lines.append(
                f"    {item['count']:>8,}  {item['system'] or '(no system)'} {item['code']}"
            )
    units = report.get("unmapped_units") or []
    if units:
        lines.append(
            "units without a concept: " + ", ".join(f"{u['code']} ({u['count']:,})" for u in units)
        )
    for note, n in sorted((report.get("notes") or {}).items()):
        lines.append(f"note: {n:,} × {note}")
    if report.get("message"):
        lines.append(str(report["message"]))
    return "\n".join(lines)
