"""Write a study report: self-contained HTML, Markdown, JSON of every number, CSV per table."""

from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
from matplotlib.figure import Figure

from rwe.report.figures import save_figure


@dataclass
class ReportTable:
    """One table of the report; `name` is its file stem (`table1_characteristics`)."""

    name: str
    title: str
    frame: pd.DataFrame
    note: str = ""


@dataclass
class ReportSection:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[ReportTable] = field(default_factory=list)
    figures: dict[str, tuple[str, Figure]] = field(default_factory=dict)  # name -> (caption, fig)


@dataclass
class Report:
    title: str
    metadata: dict[str, Any]
    sections: list[ReportSection]
    results: dict[str, Any]  # every number, machine-readable


def write_report(report: Report, out_dir: Path) -> dict[str, Path]:
    """Write report.html, report.md, results.json, one CSV per table, PNG+SVG per figure."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    figure_files: dict[str, dict[str, Path]] = {}
    for section in report.sections:
        for table in section.tables:
            path = out_dir / f"{table.name}.csv"
            table.frame.to_csv(path, index=False)
            written[path.name] = path
        for name, (_, fig) in section.figures.items():
            figure_files[name] = save_figure(fig, out_dir / "figures" / name)
            written.update({p.name: p for p in figure_files[name].values()})
    results = {"metadata": report.metadata, "results": report.results}
    json_path = out_dir / "results.json"
    json_path.write_bytes(
        orjson.dumps(
            _finite(results), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS, default=str
        )
    )
    written["results.json"] = json_path
    (out_dir / "report.md").write_text(_markdown(report, figure_files, out_dir))
    (out_dir / "report.html").write_text(_html(report, figure_files))
    written["report.md"] = out_dir / "report.md"
    written["report.html"] = out_dir / "report.html"
    return written


def _finite(value: Any) -> Any:
    """JSON has no NaN/inf: write null, as R's NA."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _metadata_rows(metadata: dict[str, Any]) -> list[tuple[str, str]]:
    return [(str(k), str(v)) for k, v in metadata.items()]


def _markdown(report: Report, figures: dict[str, dict[str, Path]], out_dir: Path) -> str:
    lines = [f"# {report.title}", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in _metadata_rows(report.metadata)]
    for section in report.sections:
        lines += ["", f"## {section.title}", ""]
        for paragraph in section.paragraphs:
            lines += [paragraph, ""]
        for table in section.tables:
            lines += [f"### {table.title}", "", _markdown_table(table.frame), ""]
            if table.note:
                lines += [f"*{table.note}*", ""]
        for name, (caption, _) in section.figures.items():
            rel = figures[name]["png"].relative_to(out_dir)
            lines += [f"![{caption}]({rel})", "", f"*{caption}*", ""]
    return "\n".join(lines).rstrip() + "\n"


def _markdown_table(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = [
        "| " + " | ".join(_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)
    ]
    return "\n".join([header, rule, *body])


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "NA"
    return str(value).replace("|", "\\|")


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:980px;margin:2em auto;
color:#1b1b1b;line-height:1.45;padding:0 1em}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.92em}
th,td{border-bottom:1px solid #ddd;padding:.3em .7em;text-align:left;vertical-align:top}
th{background:#f3f5f8}
figure{margin:1em 0 2em}figcaption{font-size:.9em;color:#444}
img{max-width:100%}.meta td:first-child{color:#555}
"""


def _html(report: Report, figures: dict[str, dict[str, Path]]) -> str:
    esc = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{esc(report.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{esc(report.title)}</h1><table class='meta'>",
    ]
    parts += [
        f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in _metadata_rows(report.metadata)
    ]
    parts.append("</table>")
    for section in report.sections:
        parts.append(f"<h2>{esc(section.title)}</h2>")
        parts += [f"<p>{esc(p)}</p>" for p in section.paragraphs]
        for table in section.tables:
            parts.append(f"<h3>{esc(table.title)}</h3>")
            parts.append(table.frame.to_html(index=False, na_rep="NA", border=0, escape=True))
            if table.note:
                parts.append(f"<p><em>{esc(table.note)}</em></p>")
        for name, (caption, _) in section.figures.items():
            data = base64.b64encode(figures[name]["png"].read_bytes()).decode()
            parts.append(
                f"<figure><img alt='{esc(caption)}' src='data:image/png;base64,{data}'>"
                f"<figcaption>{esc(caption)}</figcaption></figure>"
            )
    parts.append("</body></html>")
    return "\n".join(parts)
