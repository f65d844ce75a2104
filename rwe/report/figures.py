"""Kaplan-Meier figures as the papers draw them: steps, CI band, censor marks, number at risk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: reports are written by unattended jobs too

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from rwe.analytics.kaplan_meier import KaplanMeierCurve, number_at_risk

COLORS = ["#1f4e79", "#c0392b", "#27803b", "#8e44ad", "#d68910"]


@dataclass(frozen=True)
class KmFigureSpec:
    """What to draw: curves by label, axis labels, the ticks for the number-at-risk table."""

    title: str
    curves: Mapping[str, KaplanMeierCurve]
    xlabel: str = "Days since start of sorafenib"
    ylabel: str = "Probability"
    risk_times: Sequence[float] | None = None
    annotation: str | None = None  # e.g. "log-rank p = 0.012"
    ci_band: bool = True
    # small-cell suppression: numbers at risk from 1 to min_cell - 1 are shown as "<min_cell"
    # (the federated report, rwe.federation.report); 0 shows every number
    min_cell: int = 0


def km_figure(spec: KmFigureSpec) -> Figure:
    """A Kaplan-Meier plot with CI bands, censor marks and a number-at-risk table beneath."""
    last = max((float(c.time[-1]) for c in spec.curves.values() if c.time.size), default=1.0)
    ticks = np.asarray(spec.risk_times if spec.risk_times is not None else _ticks(last))
    fig = plt.figure(figsize=(7.0, 4.6 + 0.22 * len(spec.curves)))
    grid = fig.add_gridspec(2, 1, height_ratios=[4.0, 0.45 + 0.22 * len(spec.curves)], hspace=0.35)
    ax = fig.add_subplot(grid[0])
    for i, (label, curve) in enumerate(spec.curves.items()):
        _draw_curve(ax, curve, label, COLORS[i % len(COLORS)], spec.ci_band)
    ax.set_xlim(0, max(last, float(ticks[-1])) * 1.02)
    ax.set_ylim(0, 1.03)
    ax.set_xticks(ticks)
    ax.set_xlabel(spec.xlabel)
    ax.set_ylabel(spec.ylabel)
    ax.set_title(spec.title, loc="left", fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    if len(spec.curves) > 1 or spec.annotation:
        ax.legend(frameon=False, loc="best", fontsize=9)
    if spec.annotation:
        ax.text(0.02, 0.04, spec.annotation, transform=ax.transAxes, fontsize=9)
    _risk_table(fig.add_subplot(grid[1], sharex=ax), spec.curves, ticks, spec.min_cell)
    return fig


def _draw_curve(ax: plt.Axes, curve: KaplanMeierCurve, label: str, color: str, band: bool) -> None:
    # survfit curves start at (0, 1) and step down at each event time.
    t = np.concatenate(([0.0], curve.time))
    s = np.concatenate(([1.0], curve.surv))
    n = f" (n = {curve.n})"
    ax.step(t, s, where="post", color=color, linewidth=1.6, label=label + n)
    if band:
        lo = np.concatenate(([1.0], np.where(np.isnan(curve.lower), s[1:], curve.lower)))
        hi = np.concatenate(([1.0], np.where(np.isnan(curve.upper), s[1:], curve.upper)))
        ax.fill_between(t, lo, hi, step="post", color=color, alpha=0.15, linewidth=0)
    censored = curve.n_censor > 0
    ax.plot(curve.time[censored], curve.surv[censored], "|", color=color, markersize=8)


def _risk_table(
    ax: plt.Axes, curves: Mapping[str, KaplanMeierCurve], ticks: np.ndarray, min_cell: int
) -> None:
    ax.set_axis_off()
    ax.set_title("Number at risk", loc="left", fontsize=9)
    labels = list(curves)
    for row, label in enumerate(labels):
        y = 1 - (row + 0.5) / max(len(labels), 1)
        at_risk = number_at_risk(curves[label], ticks).n_risk
        ax.text(
            -0.05,
            y,
            label,
            transform=ax.transAxes,
            ha="right",
            va="center",
            fontsize=8,
            color=COLORS[row % len(COLORS)],
        )
        for x, n in zip(ticks, at_risk, strict=True):
            shown = f"<{min_cell}" if 0 < n < min_cell else str(int(n))
            ax.text(x, y, shown, ha="center", va="center", fontsize=8)
    ax.set_ylim(0, 1)


def _ticks(last: float) -> np.ndarray:
    """Round tick steps (days): 6 to 10 ticks from 0 past the last time."""
    for step in (30, 60, 90, 180, 365, 730, 1000, 2000, 5000):
        if last / step <= 9:
            return np.arange(0, last + step, step, dtype=float)
    return np.linspace(0, last, 8)


def save_figure(fig: Figure, stem: Path) -> dict[str, Path]:
    """Write `stem.png` and `stem.svg` (deterministic: no dates, fixed SVG ids)."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = {"png": stem.with_suffix(".png"), "svg": stem.with_suffix(".svg")}
    with plt.rc_context({"svg.hashsalt": "rwe"}):
        fig.savefig(paths["png"], dpi=150, bbox_inches="tight", metadata={"Software": None})
        fig.savefig(paths["svg"], bbox_inches="tight", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return paths
