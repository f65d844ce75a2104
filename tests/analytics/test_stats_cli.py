"""`rwe stats ...`: exit codes, JSON contents (equal to the R fixtures) and error messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

import rwe.cli
from tests.analytics.r_fixtures import FIXTURES, RTOL, assert_close, load

rwe.cli._register()
runner = CliRunner()
LUNG = str(FIXTURES / "lung.csv")
RWE = Path(sys.executable).with_name("rwe")


def _json(args: list[str]) -> dict[str, Any]:
    result = runner.invoke(rwe.cli.app, ["stats", *args, "--json"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def _case(kind: str, name: str) -> dict[str, Any]:
    return next(c for c in load(kind)["cases"] if c["name"] == name)


def test_km_json_equals_survfit_and_survdiff() -> None:
    out = _json(["km", "--data", LUNG, "--time", "time", "--event", "event", "--group", "sex"])
    r = _case("km", "lung_sex")["curves"]
    assert set(out["km"]) == {"1", "2"}
    for group in ("1", "2"):
        for key in ("time", "surv", "lower", "upper", "n_risk", "n_event"):
            assert_close(out["km"][group][key], r[group][key], f"{group} {key}")
        for key in ("median", "median_lower", "median_upper"):
            assert out["km"][group][key] == pytest.approx(r[group][key], rel=RTOL)
    lr = _case("logrank", "lung_sex")
    assert out["logrank"]["chisq"] == pytest.approx(lr["chisq"], rel=RTOL)
    assert out["logrank"]["df"] == 1
    assert out["logrank"]["p"] == pytest.approx(lr["p"], rel=RTOL)


def test_km_json_not_reached_median_is_null() -> None:
    data = str(FIXTURES / "not_reached.csv")
    out = _json(["km", "--data", data, "--time", "time", "--event", "event"])
    assert out["km"]["all"]["median"] is None
    assert "logrank" not in out


def test_logrank_json_with_strata() -> None:
    data = str(FIXTURES / "veteran.csv")
    args = ["logrank", "--data", data, "--time", "time", "--event", "event"]
    out = _json([*args, "--group", "trt", "--strata", "celltype"])
    r = _case("logrank", "veteran_trt_strata")
    assert out["logrank"]["p"] == pytest.approx(r["p"], rel=RTOL)


@pytest.mark.parametrize("ties", ["breslow", "efron"])
def test_cox_json_equals_coxph(ties: str) -> None:
    args = ["cox", "--data", LUNG, "--time", "time", "--event", "event"]
    out = _json([*args, "--covariates", "age,sex,ph.ecog", "--ties", ties])
    r = _case("cox", f"lung_multi_{ties}")
    assert list(out["cox"]["terms"]) == r["terms"]
    for i, term in enumerate(r["terms"]):
        row = out["cox"]["terms"][term]
        for key in ("coef", "hr", "hr_lower", "hr_upper", "p_wald"):
            assert row[key] == pytest.approx(r[key][i], rel=RTOL), f"{term} {key}"
    assert out["cox"]["model"]["p_lr"] == pytest.approx(r["p_lr"], rel=RTOL)
    assert out["cox"]["model"]["p_score"] == pytest.approx(r["p_score"], rel=RTOL)


def test_wilcoxon_json_equals_wilcox_test() -> None:
    out = _json(["wilcoxon", "--data", LUNG, "--value", "age", "--group", "sex"])
    r = _case("wilcoxon", "lung_age_by_sex")
    assert out["wilcoxon"]["p"] == pytest.approx(r["p"], rel=RTOL)
    assert out["wilcoxon"]["w"] == r["w"]


def test_fisher_json_equals_fisher_test() -> None:
    out = _json(["fisher", "--data", LUNG, "--row", "sex", "--col", "ph.ecog"])
    assert out["fisher"]["p"] == pytest.approx(_case("fisher", "lung_sex_ecog")["p"], rel=RTOL)
    assert out["fisher"]["table"] == [[36, 71, 29, 1], [27, 42, 21, 0]]


def test_parquet_input_and_dropped_rows_on_stderr(tmp_path: Path) -> None:
    parquet = tmp_path / "lung.parquet"
    pd.read_csv(LUNG).to_parquet(parquet)
    args = ["stats", "cox", "--data", str(parquet), "--time", "time", "--event", "event"]
    result = runner.invoke(rwe.cli.app, [*args, "--covariates", "age,ph.ecog", "--json"])
    assert result.exit_code == 0
    assert result.stderr == "Dropped 1 row with a missing value in time, event, age, ph.ecog.\n"
    assert json.loads(result.stdout)["cox"]["model"]["n"] == 227


def test_readable_output_prints_like_r() -> None:
    args = ["stats", "km", "--data", LUNG, "--time", "time", "--event", "event", "--group", "sex"]
    result = runner.invoke(rwe.cli.app, args)
    assert result.exit_code == 0
    assert "Chisq = 10.33 on 1 degrees of freedom, p = 0.001311" in result.stdout
    assert "270" in result.stdout and "426" in result.stdout


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(RWE), "stats", *args], capture_output=True, text=True, check=False)


def test_missing_column_exits_3_with_message() -> None:
    result = _run("km", "--data", LUNG, "--time", "time", "--event", "nope")
    assert result.returncode == 3
    assert result.stderr.startswith("Error: no column 'nope' in the data. Available columns: ")


def test_bad_event_coding_exits_3() -> None:
    result = _run("km", "--data", LUNG, "--time", "time", "--event", "status")
    assert result.returncode == 3
    assert result.stderr == (
        "Error: event has values other than 0 and 1. Code the event column 1 = event, "
        "0 = censored.\n"
    )


def test_statistic_that_cannot_be_computed_exits_9(tmp_path: Path) -> None:
    data = tmp_path / "three.csv"
    data.write_text("v,g\n1,a\n2,b\n3,c\n")
    result = _run("wilcoxon", "--data", str(data), "--value", "v", "--group", "g")
    assert result.returncode == 9
    assert result.stderr == (
        "Error: the rank-sum test compares two groups; 'g' has 3. Filter the data to two groups.\n"
    )


@pytest.mark.parametrize("command", ["km", "logrank", "cox", "wilcoxon", "fisher"])
def test_every_command_has_a_runnable_example(command: str) -> None:
    result = runner.invoke(rwe.cli.app, ["stats", command, "--help"])
    assert result.exit_code == 0
    assert f"Example: `rwe stats {command} --data" in " ".join(result.stdout.split())
