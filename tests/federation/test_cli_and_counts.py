"""Feasibility counts and the `rwe federate analyze` command over three sites."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rwe.cli import _register, app
from rwe.federation.feasibility import count_feasibility
from rwe.federation.network import Network
from rwe.federation.sites import Site
from tests.federation.cohort import Cohort


def sites_toml(path: Path, sites: list[Site]) -> Path:
    text = "".join(f'[[site]]\nname = "{s.name}"\nurl = "{s.url}"\n\n' for s in sites)
    path.write_text(text)
    return path


def test_feasibility_counts(sites: list[Site], cohort: Cohort) -> None:
    with Network(sites) as net:
        counts = count_feasibility(net)
    included = cohort.frame[cohort.frame["included"]]
    assert counts.pooled["persons"] == len(included)
    for name in counts.per_site:
        assert counts.per_site[name]["persons"] == int((included["site"] == name).sum())
    assert counts.pooled["os_events"] == int(included["os_event"].sum())


def test_cli_analyze_writes_results(sites: list[Site], tmp_path: Path) -> None:
    _register()
    toml = sites_toml(tmp_path / "sites.toml", sites)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "federate",
            "analyze",
            "sorafenib",
            "--sites",
            str(toml),
            "--out",
            str(out),
            "--max-day",
            "1600",
        ],
    )
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())["results"]
    assert results["network"]["partial"] is False
    assert results["network"]["masking"] == "pairwise cancelling masks (secure sum)"
    assert results["refused_or_failed"] == {}
    report = (out / "report.md").read_text()
    assert "Masking: pairwise cancelling masks" in report
    # every included patient of the test cohort has an OS time
    assert results["table3"]["patients"] == results["efficacy"]["os"]["n"]
    assert "Table III. Adverse events (pooled)" in report
    assert "| Any adverse event |" in report
