"""Report files: self-contained HTML, Markdown, JSON of every number, CSV, PNG and SVG."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from rwe.analytics.kaplan_meier import fit_kaplan_meier_by_group
from rwe.report.figures import KmFigureSpec, km_figure
from rwe.report.render import Report, ReportSection, ReportTable, write_report


def _report() -> Report:
    curves = fit_kaplan_meier_by_group(
        [5, 8, 12, 20, 30, 31, 40, 55],
        [1, 0, 1, 1, 0, 1, 1, 0],
        ["a", "a", "a", "a", "b", "b", "b", "b"],
    )
    table = ReportTable(
        "table3_adverse_events",
        "Table III. Adverse events",
        pd.DataFrame(
            {"term": ["Hand-foot | skin reaction"], "all grades": ["3 (50.0)"], "p": [float("nan")]}
        ),
        note="n (%)",
    )
    figure = km_figure(KmFigureSpec("OS by group", curves, annotation="log-rank p = 0.5"))
    section = ReportSection(
        "Safety", ["Adverse events by term."], [table], {"fig_os": ("OS", figure)}
    )
    return Report(
        "Sorafenib", {"data cutoff": "2021-05-31"}, [section], {"median_os": float("nan"), "n": 8}
    )


def test_write_report_produces_every_file(tmp_path: Path) -> None:
    written = write_report(_report(), tmp_path)
    assert {
        "report.html",
        "report.md",
        "results.json",
        "table3_adverse_events.csv",
        "fig_os.png",
        "fig_os.svg",
    } <= set(written)
    html = (tmp_path / "report.html").read_text()
    assert "data:image/png;base64," in html  # figures embedded: the file is self-contained
    assert "src='figures/" not in html and 'src="http' not in html
    results = json.loads((tmp_path / "results.json").read_text())
    assert results == {
        "metadata": {"data cutoff": "2021-05-31"},
        "results": {"median_os": None, "n": 8},
    }
    md = (tmp_path / "report.md").read_text()
    assert "| Hand-foot \\| skin reaction | 3 (50.0) | NA |" in md
    assert "![OS](figures/fig_os.png)" in md
    csv = pd.read_csv(tmp_path / "table3_adverse_events.csv")
    assert csv["all grades"].tolist() == ["3 (50.0)"]


def test_svg_is_deterministic(tmp_path: Path) -> None:
    write_report(_report(), tmp_path / "a")
    write_report(_report(), tmp_path / "b")
    a = (tmp_path / "a" / "figures" / "fig_os.svg").read_bytes()
    b = (tmp_path / "b" / "figures" / "fig_os.svg").read_bytes()
    assert a == b
    assert b"<svg" in a


def test_number_at_risk_suppressed_below_min_cell() -> None:
    # 4 patients a group: at day 0, "4" in full, "<5" with small-cell suppression; 0 stays 0.
    curves = fit_kaplan_meier_by_group(
        [5, 8, 12, 20, 30, 31, 40, 55],
        [1, 0, 1, 1, 0, 1, 1, 0],
        ["a", "a", "a", "a", "b", "b", "b", "b"],
    )

    def risk_row(min_cell: int) -> list[str]:
        spec = KmFigureSpec("OS", curves, risk_times=[0, 60], min_cell=min_cell)
        fig = km_figure(spec)
        texts = [t.get_text() for t in fig.axes[1].texts if t.get_text() not in curves]
        plt.close(fig)
        return texts

    assert risk_row(0) == ["4", "0", "4", "0"]
    assert risk_row(5) == ["<5", "0", "<5", "0"]
