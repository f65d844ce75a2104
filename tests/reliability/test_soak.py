"""Soak: ten consecutive nightly increments; after each night the database holds the same
content as a fresh full load of the same final state.

`rwe synth` writes one increment per export (days after its cutoff), not an increment of an
increment, so night k loads the increment written 3k days after the base export: it repeats
the amendments and deletions of the nights before it (chosen per resource id) and adds the
results of its days. The fresh load reads the base export and night k's increment in one run.
Resource keys are given in the order resources are first seen, so OMOP ids differ between the
two; the comparison replaces every OMOP id by the FHIR resource and row it comes from.

Ongoing exposures end on the input's data date; a night that does not re-send the statement
moves that imputed end to its own data date (rwe/sql/etl/open_exposure.sql), so the soak
compares every end date as it is, with no masking.
"""

from __future__ import annotations

from pathlib import Path

from rwe.db.connection import Database
from rwe.etl.run import EtlOptions, run_etl
from rwe.synth.export import SynthOptions, synthesize
from rwe.synth.increment import IncrementConfig
from tests.etl.helpers import miscounted
from tests.reliability.state import clone, content, data_date

PATIENTS = 15
SEED = 21


def nights(
    database: Database, admin_url: str, tmp_path: Path, count: int, mask_data_dates: bool
) -> None:
    with clone(admin_url, database) as nightly:
        base = tmp_path / "base"
        synthesize(base, SynthOptions(patients=PATIENTS, seed=SEED))
        first = run_etl(nightly, [str(base)], EtlOptions())
        assert first["balanced"] and first["rejected"] == 0
        dates = {data_date(base)}
        for night in range(1, count + 1):
            root = tmp_path / f"night{night}"
            increment = root / "increment"
            options = SynthOptions(
                patients=PATIENTS,
                seed=SEED,
                increment_dir=increment,
                increment=IncrementConfig(days=night * 3),
            )
            synthesize(root / "base", options)
            dates.add(data_date(increment))
            report = run_etl(nightly, [str(increment)], EtlOptions())
            assert report["balanced"] and report["rejected"] == 0, night
            assert report["loaded"] > report["unchanged"], night  # the night changed something
            mask = frozenset(dates) if mask_data_dates else frozenset()
            with clone(admin_url, database) as fresh:
                full = run_etl(fresh, [str(base), str(increment)], EtlOptions())
                assert full["balanced"] and full["rejected"] == 0, night
                expected = content(fresh, mask)
            got = content(nightly, mask)
            for table, rows in expected.items():
                assert got[table] == rows, f"night {night}: {table} differs"
            assert miscounted(nightly) == [], night  # the id map's row counts


def test_ten_nightly_increments_equal_a_fresh_full_load(
    database: Database, admin_url: str, tmp_path: Path
) -> None:
    nights(database, admin_url, tmp_path, 10, mask_data_dates=False)
