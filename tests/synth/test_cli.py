"""`rwe synth` on the command line: exit codes and messages."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from rwe.cli import main


def run(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sys, "argv", ["rwe", *argv])
    try:
        main()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_synth_writes_an_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "export"
    code = run(["synth", str(out), "--patients", "3", "--seed", "2", "--clean"], monkeypatch)
    captured = capsys.readouterr()
    assert code == 0
    assert captured.out.startswith("Wrote ")
    assert f"for 3 patients to {out} (Patient 3, " in captured.out
    assert f"Truth: {out / 'truth.json'}, {out / 'patients.csv'}." in captured.out
    assert {p.name for p in out.iterdir()} >= {"manifest.json", "truth.json", "patients.csv"}


def test_default_patients_is_the_papers_cohort(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["synth", str(tmp_path / "a"), "--preset", "mtc-atc-2017"], monkeypatch) == 0
    assert "for 18 patients" in capsys.readouterr().out


def test_increment_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["synth", str(tmp_path / "a"), "--patients", "4", "--increment", str(tmp_path / "b"),
            "--increment-days", "30", "--gzip"]  # fmt: skip
    assert run(argv, monkeypatch) == 0
    assert "Increment: " in capsys.readouterr().out
    assert (tmp_path / "b" / "manifest.json").exists()


def test_unknown_preset_is_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["synth", str(tmp_path / "a"), "--preset", "nope"], monkeypatch) == 3
    assert capsys.readouterr().err.strip() == (
        "Error: Unknown preset 'nope'. Use one of: dtc-2021, mtc-atc-2017."
    )


def test_non_empty_directory_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "note.txt").write_text("keep me")
    assert run(["synth", str(tmp_path), "--patients", "1"], monkeypatch) == 3
    assert capsys.readouterr().err.strip() == (
        f"Error: Output directory {tmp_path} is not empty. "
        "Choose a new directory or add --overwrite to replace an earlier synth export."
    )
    assert run(["synth", str(tmp_path), "--patients", "1", "--overwrite"], monkeypatch) == 0
    assert (tmp_path / "note.txt").read_text() == "keep me"  # only synth's own files go


def test_rates_are_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["synth", str(tmp_path / "a"), "--tz-rate", "1.5"], monkeypatch) == 2
    argv = ["synth", str(tmp_path / "b"), "--unit-rate", "0.7", "--percent-rate", "0.5"]
    assert run(argv, monkeypatch) == 3
    assert (
        capsys.readouterr()
        .err.strip()
        .endswith(
            "Error: --unit-rate + --percent-rate + --absent-rate exceed 1. "
            "They split the lab values between them: lower them."
        )
    )
