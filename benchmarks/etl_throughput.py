"""ETL throughput benchmark (not a timed test): `rwe etl` end to end versus a bare
decode → map → COPY of the same Observations, plus a re-run and two 1% increments: one right
after the re-run (the server still writing out the first load) and one on a settled database
(VACUUM ANALYZE + CHECKPOINT first, as the day between two nightly runs leaves it), each
changing other Observations.

    .venv/bin/python benchmarks/etl_throughput.py --resources 1000000

Prints resources/s, peak RSS of each phase (each runs in its own process; the largest process a
phase started, such as a first load's pre-read, is shown beside it) and the ratio to the
bare pipeline. Also the PostgreSQL floor: the rows the first load wrote, COPYed (binary, which
PostgreSQL takes faster than text) into a fresh database's tables (same indexes and triggers)
in one transaction on one connection, as a run must write them, with no client work: no
`rwe etl` on this server loads the input faster than that. Uses a fresh database on the
embedded server, dropped at the end (or --database-url, kept).
Input: a synthetic cohort as bulk NDJSON, ≥ 80% lab Observations shaped as a hospital's
export writes them (generated here; --labs minimal: only the elements the row comes from),
each blood draw and Encounter at its own time (since 2026-12-04; --times repeated: the earlier
input, whose few distinct times let rwe's parsed-date caches always hit).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from rwe.etl.rows import OMOP_TABLES

LABS = [  # (LOINC, UCUM, mean, sd) — the CBC panel the sorafenib cohorts carry
    ("6690-2", "10*3/uL", 6.5, 2.0),
    ("731-0", "10*3/uL", 1.8, 0.6),
    ("751-8", "10*3/uL", 4.0, 1.5),
    ("742-7", "10*3/uL", 0.5, 0.2),
    ("777-3", "10*3/uL", 250, 60),
    ("736-9", "%", 28, 8),
    ("770-8", "%", 60, 10),
    ("5905-5", "%", 7, 2),
]


LAB_LAYOUTS = ("hospital", "minimal")
TIME_LAYOUTS = ("distinct", "repeated")


def generate(
    folder: Path, resources: int, seed: int = 7, labs: str = "hospital", times: str = "distinct"
) -> dict[str, int]:
    """Patients, Encounters, Conditions, MedicationStatements and (≥ 80%) lab Observations.

    labs="hospital" (≈ 1.1 KB a line): the labs also carry what a hospital's export or Synthea
    writes besides the row's elements (issued, identifier, performer, interpretation, a
    reference range, code.text, meta.profile); "minimal" (≈ 0.56 KB): only the elements the
    row comes from, as the benchmark generated before 2026-12-03.

    times="distinct": each Encounter, and each draw (a panel of the 8 LABS), has its own time
    to the second, and each lab's lastUpdated is its draw's result time, as in a real export;
    "repeated": every lab at 08:mm on one of 90 days and one lastUpdated for all, as the
    benchmark generated before 2026-12-04 (rwe's parsed-date caches then always hit)."""
    if labs not in LAB_LAYOUTS or times not in TIME_LAYOUTS:
        raise ValueError(f"labs must be one of {LAB_LAYOUTS}, times one of {TIME_LAYOUTS}")
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    per_patient = 100  # 1 Patient + 6 Encounters + 2 Conditions + 3 MedStatements + 88 labs
    patients = max(1, resources // per_patient)
    counts = dict.fromkeys(
        ["Patient", "Encounter", "Condition", "MedicationStatement", "Observation"], 0
    )
    files = {k: (folder / f"{k}.000.ndjson").open("w") for k in counts}
    stamp = "2024-06-01T02:00:00Z"
    for p in range(patients):
        pid = f"p{p}"
        year = rng.randint(1940, 1990)
        files["Patient"].write(
            json.dumps(
                {
                    "resourceType": "Patient",
                    "id": pid,
                    "meta": {"lastUpdated": stamp},
                    "gender": rng.choice(["male", "female"]),
                    "birthDate": f"{year}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                }
            )
            + "\n"
        )
        counts["Patient"] += 1
        for e in range(6):
            files["Encounter"].write(
                json.dumps(
                    {
                        "resourceType": "Encounter",
                        "id": f"{pid}-e{e}",
                        "status": "finished",
                        "meta": {"lastUpdated": stamp},
                        "class": {
                            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                            "code": "AMB",
                        },
                        "subject": {"reference": f"Patient/{pid}"},
                        "period": _period(rng, e, times),
                    }
                )
                + "\n"
            )
            counts["Encounter"] += 1
        for c, code in enumerate(["363478007", "38341003"]):
            cond = {
                "resourceType": "Condition",
                "id": f"{pid}-c{c}",
                "meta": {"lastUpdated": stamp},
                "subject": {"reference": f"Patient/{pid}"},
                "code": {"coding": [{"system": "http://snomed.info/sct", "code": code}]},
                "onsetDateTime": "2019-11-20T00:00:00+00:00",
            }
            if c == 1:
                cond["extension"] = [{"url": "urn:rwe:extension:ctcae-grade", "valueInteger": 2}]
            files["Condition"].write(json.dumps(cond) + "\n")
            counts["Condition"] += 1
        for m in range(3):
            files["MedicationStatement"].write(
                json.dumps(
                    {
                        "resourceType": "MedicationStatement",
                        "id": f"{pid}-m{m}",
                        "meta": {"lastUpdated": stamp},
                        "status": "stopped" if m == 2 else "completed",
                        "statusReason": [
                            {"coding": [{"system": "urn:rwe:study", "code": "progression"}]}
                        ]
                        if m == 2
                        else [],
                        "medicationCodeableConcept": {
                            "coding": [
                                {
                                    "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                    "code": "495881",
                                }
                            ]
                        },
                        "subject": {"reference": f"Patient/{pid}"},
                        "effectivePeriod": {
                            "start": f"2020-0{m * 2 + 1}-01",
                            "end": f"2020-0{m * 2 + 2}-28",
                        },
                        "dosage": [
                            {
                                "route": {
                                    "coding": [
                                        {"system": "http://snomed.info/sct", "code": "26643006"}
                                    ]
                                },
                                "doseAndRate": [
                                    {
                                        "doseQuantity": {
                                            "value": 400,
                                            "unit": "mg",
                                            "system": "http://unitsofmeasure.org",
                                            "code": "mg",
                                        }
                                    }
                                ],
                                "timing": {
                                    "repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}
                                },
                            }
                        ],
                    }
                )
                + "\n"
            )
            counts["MedicationStatement"] += 1
        draw = ("", "")
        for o in range(per_patient - 12):
            code, unit, mean, sd = LABS[o % len(LABS)]
            value = round(rng.gauss(mean, sd), 2)
            if times == "repeated":
                draw = (f"2020-0{o % 9 + 1}-1{o % 10}T08:{o % 60:02d}:00+02:00", stamp)
            elif o % len(LABS) == 0:  # a new draw: its time and its result's
                draw = _draw(rng)
            lab = {
                "resourceType": "Observation",
                "id": f"{pid}-o{o}",
                "meta": {"lastUpdated": draw[1]},
                "status": "final",
                "category": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                "code": "laboratory",
                            }
                        ]
                    }
                ],
                "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
                "subject": {"reference": f"Patient/{pid}"},
                "encounter": {"reference": f"Encounter/{pid}-e{o % 6}"},
                "effectiveDateTime": draw[0],
                "valueQuantity": {
                    "value": value,
                    "unit": unit,
                    "system": "http://unitsofmeasure.org",
                    "code": unit,
                },
            }
            if labs == "hospital":
                hospital_lab(lab, mean, sd, draw[1] if times == "distinct" else None)
            files["Observation"].write(json.dumps(lab) + "\n")
            counts["Observation"] += 1
    for f in files.values():
        f.close()
    return counts


def _period(rng: random.Random, e: int, times: str) -> dict[str, str]:
    """Encounter e's period: 09:00-10:00 on the 3rd of month e + 1 ("repeated"), or a time of
    its own on that day."""
    if times == "repeated":
        return {
            "start": f"2020-0{e + 1}-03T09:00:00+02:00",
            "end": f"2020-0{e + 1}-03T10:00:00+02:00",
        }
    day = f"2020-0{e + 1}-{rng.randint(1, 28):02d}"
    hour, minute, second = rng.randint(7, 16), rng.randint(0, 59), rng.randint(0, 59)
    return {
        "start": f"{day}T{hour:02d}:{minute:02d}:{second:02d}+02:00",
        "end": f"{day}T{hour + 1:02d}:{minute:02d}:{second:02d}+02:00",
    }


def _draw(rng: random.Random) -> tuple[str, str]:
    """A blood draw's time (local, +02:00) and its result's lastUpdated (UTC, from 1 s to about
    8 h later). Drawn from ≈ 1.9 M times in 2020: at 10 M resources some draws share one."""
    day = f"2020-{rng.randint(1, 9):02d}-{rng.randint(10, 19):02d}"
    hour, minute, second = rng.randint(6, 11), rng.randint(0, 59), rng.randint(0, 59)
    later = hour - 2 + rng.randint(1, 8)  # in UTC: +02:00 is 2 hours ahead
    return (
        f"{day}T{hour:02d}:{minute:02d}:{second:02d}+02:00",
        f"{day}T{later:02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z",
    )


def hospital_lab(lab: dict[str, Any], mean: float, sd: float, issued: str | None = None) -> None:
    """What a hospital's export (US Core labs; Synthea writes issued too) adds to a lab;
    issued: the result's time (default: 3 hours after effectiveDateTime at 08:mm)."""
    quantity = lab["valueQuantity"]
    low, high = round(mean - 2 * sd, 1), round(mean + 2 * sd, 1)
    normal = low <= quantity["value"] <= high
    ucum = {"unit": quantity["unit"], "system": quantity["system"], "code": quantity["code"]}
    lab["meta"]["profile"] = [
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-lab"
    ]
    lab["identifier"] = [
        {"system": "urn:oid:1.2.840.114350.1.13.0.1.7.6.798268", "value": lab["id"]}
    ]
    lab["code"]["text"] = "Lab result"
    lab["issued"] = issued or lab["effectiveDateTime"].replace("T08:", "T11:")
    lab["performer"] = [{"reference": "Organization/lab1", "display": "Central Laboratory"}]
    lab["interpretation"] = [
        {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                    "code": "N" if normal else ("L" if quantity["value"] < low else "H"),
                }
            ]
        }
    ]
    lab["referenceRange"] = [
        {"low": {"value": low, **ucum}, "high": {"value": high, **ucum}, "text": f"{low}-{high}"}
    ]


def increment(folder: Path, out: Path, share: float, night: int = 1) -> int:
    """A delta export: `share` of the Observations with a newer lastUpdated (2024-06-01 +
    `night` days, after every lastUpdated of the full export) and a new value. Each night
    changes other Observations (a night that changed the same ones again would find their
    pages in PostgreSQL's cache)."""
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    step = int(1 / share)
    offset = (night - 1) % step
    with (
        (folder / "Observation.000.ndjson").open() as src,
        (out / "Observation.000.ndjson").open("w") as dst,
    ):
        for i, line in enumerate(src):
            if i % step == offset:
                doc = json.loads(line)
                doc["meta"]["lastUpdated"] = f"2024-06-{1 + night:02d}T02:00:00Z"
                doc["valueQuantity"]["value"] += night
                dst.write(json.dumps(doc) + "\n")
                n += 1
    return n


def phase(kind: str, url: str, folder: str, workers: int = 1) -> None:
    """One measured phase, in its own process (so its peak RSS is its own)."""
    from rwe.db.connection import Database
    from rwe.etl.run import EtlOptions, run_etl

    db = Database(url=url)
    server = server_cpu(url)
    client = os.times()
    start = time.perf_counter()
    if kind == "bare":
        rows = bare_copy(db, Path(folder))
    else:
        report = run_etl(db, [folder], EtlOptions(max_reject_rate=0.0, workers=workers))
        rows = report["read"]
    seconds = time.perf_counter() - start
    used = os.times()
    server_after = server_cpu(url) if server is not None else None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # the largest process it started (a first load's pre-read, a --workers worker)
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "phase": kind,
                "resources": rows,
                "seconds": seconds,
                "peak_rss_mb": rss,
                "child_rss_mb": child,
                "client_cpu": used.user - client.user + used.system - client.system,
                "child_cpu": (
                    used.children_user
                    - client.children_user
                    + used.children_system
                    - client.children_system
                ),
                # -1: the server is not on this machine
                "server_cpu": -1.0
                if server is None or server_after is None
                else server_after - server,
            }
        )
    )


def _rss(phase: dict[str, float]) -> str:
    text = f"peak RSS {phase['peak_rss_mb']:.0f} MB"
    if phase["child_rss_mb"]:
        text += f" (+ {phase['child_rss_mb']:.0f} MB in a child process)"
    return text


def settle(url: str) -> None:
    """What the day between two nightly runs does: autovacuum vacuums and analyzes the freshly
    loaded tables, then the server writes the dirty pages out (CHECKPOINT). The checkpoint
    comes last, as the periodic ones of a day do: the night's first change of each page then
    writes the page's full image to the WAL (a CHECKPOINT before the VACUUM let the increment
    change pages the VACUUM had already imaged: 1 M hospital labs, ad hoc, 3 against 17,700
    full-page images and 2.5 against 133 MB of WAL)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
        try:
            conn.execute("CHECKPOINT")
        except psycopg.errors.InsufficientPrivilege:
            print("(CHECKPOINT needs a superuser: skipped)")


def bare_copy(db, folder: Path) -> int:  # type: ignore[no-untyped-def]
    """The floor: decode each Observation, map it to a MEASUREMENT row, COPY it into an
    indexed copy of the table (no vocabulary, no ids map, no merge)."""
    import orjson

    n = 0
    with db.connect() as conn:
        conn.execute("CREATE TABLE bare_measurement (LIKE cdm.measurement INCLUDING ALL)")
        conn.execute("CREATE INDEX ON bare_measurement (person_id)")
        conn.execute("CREATE INDEX ON bare_measurement (measurement_concept_id)")
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY bare_measurement (measurement_id, person_id, measurement_concept_id,"
                " measurement_date, measurement_datetime, measurement_type_concept_id,"
                " value_as_number, unit_source_value, measurement_source_value) FROM STDIN"
            ) as copy,
        ):
            buf = []
            for line in (folder / "Observation.000.ndjson").open("rb"):
                r = orjson.loads(line)
                n += 1
                when = r["effectiveDateTime"]
                q = r["valueQuantity"]
                person = hash(r["subject"]["reference"]) & 0xFFFFFFF
                buf.append(
                    f"{n}\t{person}\t0\t{when[:10]}\t{when[:19]}\t32856\t{q['value']}"
                    f"\t{q['code']}\t{r['code']['coding'][0]['code']}"
                )
                if len(buf) >= 10000:
                    copy.write("\n".join(buf) + "\n")
                    buf.clear()
            if buf:
                copy.write("\n".join(buf) + "\n")
        conn.commit()
    return n


# Every table a first load writes, the id map first (the other rwe tables refer to it).
FLOOR_TABLES = (
    "rwe.fhir_resource",
    "rwe.medication",
    "rwe.open_exposure",
    "cdm.person",
    "cdm.death",
    *(f"cdm.{table}" for table in OMOP_TABLES),
    "cdm.observation_period",
)


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (None: not a local PostgreSQL)."""
    proc = Path(f"/proc/{pid}")
    try:
        if proc.joinpath("comm").read_text().strip() != "postgres":
            return None
        return proc.joinpath("stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _backend_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a local server process (None for a remote server)."""
    fields = _stat(pid)
    if fields is None:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu(url: str) -> float | None:
    """CPU seconds the whole local server has used: its postmaster, the processes it runs now
    (backends, WAL writer, checkpointer, autovacuum) and those that ended (a run's backends,
    counted in the postmaster's reaped children). The difference over a phase is the server's
    CPU in it. None for a server on another machine."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        backend = _stat(conn.info.backend_pid)
    if backend is None:
        return None
    postmaster = int(backend[1])
    ticks = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        fields = _stat(int(proc.name))
        if fields is None or (int(proc.name) != postmaster and int(fields[1]) != postmaster):
            continue
        # utime + stime, and cutime + cstime (its children that ended)
        ticks += sum(int(field) for field in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def floor_copy(url: str, scratch: Path) -> dict[str, Any] | None:
    """The rows of `url` (after a first load) COPYed into a fresh database of the same server:
    seconds (in all and per table), the backend's CPU seconds and the rows."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    from rwe.db.connection import Database
    from rwe.db.lifecycle import init_database

    name = f"{conninfo_to_dict(url)['dbname']}_floor"
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
    except psycopg.errors.InsufficientPrivilege:
        print("(the PostgreSQL floor needs CREATEDB for its fresh database: skipped)")
        return None
    files = []
    target = make_conninfo(url, dbname=name)
    try:
        with psycopg.connect(url) as conn, conn.cursor() as cur:
            for table in FLOOR_TABLES:
                path = scratch / f"{table}.copy"
                files.append((table, path))
                with (
                    path.open("wb") as out,
                    cur.copy(f"COPY {table} TO STDOUT (FORMAT binary)") as copy,
                ):
                    for block in copy:
                        out.write(block)
        init_database(Database(url=target))
        with psycopg.connect(target) as conn, conn.cursor() as cur:
            pid = conn.info.backend_pid
            cpu = _backend_cpu(pid)
            rows = 0
            tables = {}
            start = time.perf_counter()
            for table, path in files:
                began = time.perf_counter()
                with (
                    path.open("rb") as src,
                    cur.copy(f"COPY {table} FROM STDIN (FORMAT binary)") as copy,
                ):
                    while chunk := src.read(1 << 20):
                        copy.write(chunk)
                rows += max(cur.rowcount, 0)
                tables[table] = time.perf_counter() - began
            conn.commit()
            seconds = time.perf_counter() - start
            after = _backend_cpu(pid)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
        for _, path in files:
            path.unlink(missing_ok=True)
    used = -1.0 if cpu is None or after is None else after - cpu
    return {"seconds": seconds, "cpu_seconds": used, "rows": rows, "tables": tables}


def run_phase(kind: str, url: str, folder: Path, workers: int = 1) -> dict[str, float]:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--phase",
            kind,
            "--database-url",
            url,
            "--input",
            str(folder),
            "--workers",
            str(workers),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def fresh_database() -> str:
    import psycopg
    from psycopg.conninfo import make_conninfo

    from rwe.db.connection import Database
    from rwe.db.embedded import start_embedded
    from rwe.db.lifecycle import init_database

    admin = start_embedded(
        Path(os.environ.get("RWE_BENCH_DIR", f"/tmp/rwe-bench-{os.getuid()}")), "postgres"
    )
    name = f"rwe_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = make_conninfo(admin, dbname=name)
    init_database(Database(url=url))
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resources", type=int, default=200_000)
    parser.add_argument("--input", help="NDJSON folder to use instead of generating one")
    parser.add_argument(
        "--labs",
        choices=LAB_LAYOUTS,
        default="hospital",
        help="what the generated labs carry (see generate())",
    )
    parser.add_argument(
        "--times",
        choices=TIME_LAYOUTS,
        default="distinct",
        help="each draw and Encounter at its own time, or repeated times (see generate())",
    )
    parser.add_argument("--database-url")
    parser.add_argument("--workers", type=int, default=1, help="rwe etl --workers")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phase(args.phase, args.database_url, args.input, args.workers)
        return
    url = args.database_url or fresh_database()
    try:
        results = measure(url, args)
    finally:
        if not args.database_url:
            drop_database(url)
    report(*results)


def drop_database(url: str) -> None:
    """Drop a benchmark's database (its connections closed first)."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    name = sql.Identifier(conninfo_to_dict(url)["dbname"])
    with psycopg.connect(make_conninfo(url, dbname="postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


def measure(url: str, args: argparse.Namespace) -> tuple[Any, ...]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.input) if args.input else Path(tmp) / "full"
        if not args.input:
            counts = generate(folder, args.resources, labs=args.labs, times=args.times)
            print(f"generated {sum(counts.values()):,} resources: {counts}")
        total = sum(sum(1 for _ in f.open()) for f in folder.glob("*.ndjson"))
        observations = sum(1 for _ in (folder / "Observation.000.ndjson").open())
        # 1% of all resources change overnight (as updated lab Observations)
        share = 0.01 * total / max(1, observations)
        deltas = [Path(tmp) / f"delta{night}" for night in (1, 2)]
        changed = [increment(folder, d, share, night) for night, d in enumerate(deltas, 1)]
        bare = run_phase("bare", url, folder)
        first = run_phase("etl", url, folder, args.workers)
        floor = floor_copy(url, Path(tmp))
        rerun = run_phase("etl", url, folder, args.workers)
        incr = run_phase("etl", url, deltas[0], args.workers)
        settle(url)
        settled = run_phase("etl", url, deltas[1], args.workers)
    return bare, first, floor, rerun, incr, settled, changed


def cpu_budget(phase: dict[str, Any]) -> str:
    """The CPU a phase used, client and server, and the shortest time the machine's cores
    could do that much work in (however well the two overlapped)."""
    cores = len(os.sched_getaffinity(0))
    total = phase["client_cpu"] + phase["child_cpu"] + phase["server_cpu"]
    return (
        f"CPU: client {phase['client_cpu']:.1f} s (+ {phase['child_cpu']:.1f} s in child"
        f" processes), PostgreSQL {phase['server_cpu']:.1f} s (every server process):"
        f" {total:.1f} s on {cores} cores, so at best {total / cores:.1f} s"
        f" = {phase['resources'] / (total / cores):,.0f} resources/s with this much work"
    )


def report(
    bare: dict[str, Any],
    first: dict[str, Any],
    floor: dict[str, Any] | None,
    rerun: dict[str, Any],
    incr: dict[str, Any],
    settled: dict[str, Any],
    changed: list[int],
) -> None:
    rate = first["resources"] / first["seconds"]
    bare_rate = bare["resources"] / bare["seconds"]
    print(
        f"bare decode→map→COPY: {bare['resources']:,} Observations in {bare['seconds']:.1f} s "
        f"= {bare_rate:,.0f}/s, {_rss(bare)}"
    )
    print(
        f"first load:  {first['resources']:,} resources in {first['seconds']:.1f} s"
        f" = {rate:,.0f}/s, {_rss(first)},"
        f" {rate / bare_rate:.2f}× the bare pipeline"
    )
    if first["server_cpu"] >= 0:
        print("  " + cpu_budget(first))
    if floor is not None:
        cpu = f", backend CPU {floor['cpu_seconds']:.1f} s" if floor["cpu_seconds"] >= 0 else ""
        print(
            f"PostgreSQL floor: the first load's {floor['rows']:,.0f} rows COPYed (binary) into a"
            f" fresh database's tables in one transaction, no client work: {floor['seconds']:.1f} s"
            f"{cpu} = {first['resources'] / floor['seconds']:,.0f} resources/s;"
            f" the first load took {first['seconds'] / floor['seconds']:.2f}× the floor"
        )
        slow = sorted(floor["tables"].items(), key=lambda item: -item[1])
        print(
            "  floor by table: "
            + ", ".join(f"{table} {seconds:.1f} s" for table, seconds in slow if seconds >= 0.1)
        )
    print(
        f"re-run:      {rerun['seconds']:.1f} s"
        f" ({first['seconds'] / rerun['seconds']:.1f}× faster),"
        f" {_rss(rerun)}"
    )
    print(
        f"1% increment ({changed[0]:,} changed Observations) right after: "
        f"{incr['seconds']:.2f} s = {incr['seconds'] / first['seconds']:.1%} of the first load,"
        f" {_rss(incr)}"
    )
    print(
        f"1% increment ({changed[1]:,} others) a night later (after VACUUM ANALYZE + CHECKPOINT): "
        f"{settled['seconds']:.2f} s = {settled['seconds'] / first['seconds']:.1%}"
        f" of the first load, {_rss(settled)}"
    )


if __name__ == "__main__":
    main()
