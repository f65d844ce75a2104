"""Run the derivations in dependency order: a full build, or a refresh of changed persons."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from rwe.db.connection import Database
from rwe.db.migrate import require_schema, schema_params
from rwe.db.sqlfiles import read_sql
from rwe.derive.objects import DerivedObject, Scope, in_dependency_order, study_table_names
from rwe.derive.params import ERA_PERSISTENCE_DAYS, DeriveParams, StudyConfig, load_study_config
from rwe.errors import LockedError

log = logging.getLogger(__name__)

# One advisory-lock key for derive runs, so a nightly refresh never interleaves with a rebuild.
_DERIVE_LOCK = 0x72776503
# Sorts of the era windows fit in memory at 100,000 persons with this much per sort.
_WORK_MEM = "256MB"

Progress = Callable[[str, int, int], None]


@dataclass
class DeriveSummary:
    """What a derive run did: per scope 'full' or 'refresh', rows written, seconds taken."""

    mode: dict[str, str]
    cutoff_date: dt.date
    persons_refreshed: int | None = None
    reasons: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    total_seconds: float = 0.0


def derive_all(
    db: Database,
    params: DeriveParams | None = None,
    config: StudyConfig | None = None,
    progress: Progress | None = None,
) -> DeriveSummary:
    """Rebuild every derived table from the CDM (`rwe derive --full`), in one transaction."""
    return _run(db, params, config, progress, force_full=True, person_ids=())


def refresh(
    db: Database,
    person_ids: Iterable[int] = (),
    params: DeriveParams | None = None,
    config: StudyConfig | None = None,
    progress: Progress | None = None,
) -> DeriveSummary:
    """Re-derive the persons whose CDM rows changed since the last run, plus `person_ids`.

    Changed persons come from @rwe.derive_dirty_person (filled by triggers on the CDM source
    tables). A scope whose options, cutoff, concept sets, SQL or vocabulary differ from the
    last run, a TRUNCATE of a source table, or no previous run makes that scope a full build.
    """
    return _run(db, params, config, progress, force_full=False, person_ids=tuple(person_ids))


def _run(
    db: Database,
    params: DeriveParams | None,
    config: StudyConfig | None,
    progress: Progress | None,
    force_full: bool,
    person_ids: tuple[int, ...],
) -> DeriveSummary:
    started = time.monotonic()
    config = config or load_study_config()
    params = (params or config.params).validated()
    with db.transaction() as conn:
        require_schema(conn, db)
        locked = conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (_DERIVE_LOCK,)).fetchone()
        if not locked or not locked[0]:
            raise LockedError(
                "another `rwe derive` is running on this database",
                "Wait for it to finish, then run again.",
            )
        conn.execute(f"SET LOCAL work_mem = '{_WORK_MEM}'")
        base = {**schema_params(db), "study": params.study_schema}
        recreated = _ensure_study_tables(conn, base)
        _load_concept_sets(conn, base, config)
        cutoff = params.cutoff_date or _default_cutoff(conn, db)
        sql_params = _sql_params(base, params, config, cutoff)
        fingerprints = _fingerprints(conn, db, params, config, cutoff)
        summary = DeriveSummary(mode={}, cutoff_date=cutoff)
        full_required = _take_full_required(conn, db)
        state = _read_state(conn, db)
        for scope, fingerprint in fingerprints.items():
            reason = _full_reason(scope, fingerprint, state, force_full, full_required)
            if scope == "study" and recreated and not reason:
                reason = f"study tables created or changed: {', '.join(recreated)}"
            summary.mode[scope] = "full" if reason else "refresh"
            if reason:
                summary.reasons.append(f"{scope}: {reason}")
        summary.persons_refreshed = _fill_scope(conn, db, person_ids)
        if all(mode == "full" for mode in summary.mode.values()):
            summary.persons_refreshed = None
        objects = in_dependency_order()
        for number, obj in enumerate(objects, start=1):
            if progress:
                progress(obj.name, number - 1, len(objects))
            full = summary.mode[obj.scope] == "full"
            t0 = time.monotonic()
            summary.rows[obj.name] = _run_object(conn, obj, sql_params, base, full)
            summary.seconds[obj.name] = round(time.monotonic() - t0, 3)
            log.info(
                "derived %s (%s) in %.1f s",
                obj.name,
                summary.mode[obj.scope],
                summary.seconds[obj.name],
            )
        if progress:
            progress("done", len(objects), len(objects))
        _write_state(conn, db, fingerprints, params, cutoff, config, summary.mode)
    summary.total_seconds = round(time.monotonic() - started, 3)
    return summary


def _sql_params(
    base: dict[str, str], params: DeriveParams, config: StudyConfig, cutoff: dt.date
) -> dict[str, str]:
    """The `@name` values of the derivation files (numbers and concept arrays as literals)."""

    def array(*set_names: str) -> str:
        ids = sorted({i for name in set_names for i in config.concept_ids(name)})
        return "ARRAY[" + ",".join(str(i) for i in ids) + "]::integer[]"

    values = {**base, "era_persistence_days": str(ERA_PERSISTENCE_DAYS)}
    for f in dataclasses.fields(params):
        value = getattr(params, f.name)
        if isinstance(value, int):
            values[f.name] = str(int(value))
    values["cutoff_date"] = f"DATE '{cutoff.isoformat()}'"
    values["blood_count_concepts"] = array(
        "wbc",
        "lymphocyte_count",
        "neutrophil_count",
        "monocyte_count",
        "platelet_count",
        "lymphocyte_percent",
        "neutrophil_percent",
        "monocyte_percent",
    )
    values["recist_response_concepts"] = array("recist_response")
    values["target_lesion_sum_concepts"] = array("target_lesion_sum")
    values["ecog_concepts"] = array("ecog")
    values["anti_tg_concepts"] = array("anti_tg_antibody")
    values["ctcae_grade_concepts"] = array("ctcae_grade")
    return values


def _run_object(
    conn: psycopg.Connection,
    obj: DerivedObject,
    sql_params: dict[str, str],
    base: dict[str, str],
    full: bool,
) -> int:
    schema = base["cdm"] if obj.scope == "cdm" else base["study"]
    table = sql.Identifier(schema, obj.name)
    index_definitions: list[str] = []
    if full:
        conn.execute(sql.SQL("TRUNCATE {}").format(table))
        index_definitions = _drop_secondary_indexes(conn, schema, obj.name)
        if obj.sequence:
            seq = f"{base['rwe']}.{obj.sequence}"
            conn.execute("SELECT setval(%s::regclass, 1, false)", (seq,))
    # Files filter persons with `(@full_or x.person_id IN (SELECT person_id FROM derive_scope))`:
    # a full build renders `TRUE OR ...` (folded away); a refresh renders just the IN, which
    # PostgreSQL turns into a semi-join sized by the analyzed derive_scope (a constant FALSE OR
    # would be folded only after sub-link pull-up and leave a badly estimated filter).
    text = read_sql(obj.sql_file, {**sql_params, "full_or": "TRUE OR" if full else ""})
    cur = conn.execute(text.encode())
    rows = cur.rowcount  # a file ends with its INSERT: keep the last statement's count
    while cur.nextset():
        rows = cur.rowcount
    if full:
        for definition in index_definitions:
            conn.execute(definition.encode())
        conn.execute(sql.SQL("ANALYZE {}").format(table))
    return max(rows, 0)


def _drop_secondary_indexes(conn: psycopg.Connection, schema: str, table: str) -> list[str]:
    """Drop the indexes that back no constraint; return their definitions to rebuild them.

    A full build fills millions of rows: building an index once afterwards is several times
    cheaper than maintaining it row by row.
    """
    rows = conn.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)"
        " FROM pg_index i"
        " WHERE i.indrelid = %s::regclass"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        (f"{schema}.{table}",),
    ).fetchall()
    for name, _ in rows:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(*name.split("."))))
    return [definition for _, definition in rows]


def _ensure_study_tables(conn: psycopg.Connection, base: dict[str, str]) -> list[str]:
    """Create missing study tables; drop and recreate those whose DDL file changed."""
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(base["study"])))
    recreated = []
    for name in study_table_names():
        ddl = read_sql(f"derive/tables/{name}.sql", base)
        marker = "rwe derive ddl " + hashlib.sha256(ddl.encode()).hexdigest()
        table = sql.Identifier(base["study"], name)
        row = conn.execute(
            "SELECT obj_description(to_regclass(%s), 'pg_class')", (f"{base['study']}.{name}",)
        ).fetchone()
        if row and row[0] == marker:
            continue
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
        conn.execute(ddl.encode())
        conn.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(table, sql.Literal(marker)))
        recreated.append(name)
    return recreated


def _load_concept_sets(conn: psycopg.Connection, base: dict[str, str], config: StudyConfig) -> None:
    table = sql.Identifier(base["study"], "concept_set")
    conn.execute(sql.SQL("TRUNCATE {}").format(table))
    with conn.cursor().copy(
        sql.SQL("COPY {} (set_name, concept_id, label, rank, factor) FROM STDIN").format(table)
    ) as copy:
        for row in config.concept_sets:
            copy.write_row((row.set_name, row.concept_id, row.label, row.rank, row.factor))
    # Fresh statistics: without them the planner misjudges every join on the concept sets.
    conn.execute(sql.SQL("ANALYZE {}").format(table))


def _default_cutoff(conn: psycopg.Connection, db: Database) -> dt.date:
    """The latest date in the data: observation period ends, else drug exposure ends, else today."""
    cdm = sql.Identifier(db.cdm_schema)
    row = conn.execute(
        sql.SQL(
            "SELECT COALESCE((SELECT max(observation_period_end_date) FROM {}.observation_period),"
            " (SELECT max(drug_exposure_end_date) FROM {}.drug_exposure), current_date)"
        ).format(cdm, cdm)
    ).fetchone()
    assert row is not None
    return row[0]


def _fingerprints(
    conn: psycopg.Connection,
    db: Database,
    params: DeriveParams,
    config: StudyConfig,
    cutoff: dt.date,
) -> dict[Scope, str]:
    vocab = conn.execute(
        sql.SQL("SELECT max(release_id), count(*) FROM {}.vocabulary_release").format(
            sql.Identifier(db.rwe_schema)
        )
    ).fetchone()
    objects = in_dependency_order()
    cdm = {
        "era_persistence_days": ERA_PERSISTENCE_DAYS,
        "vocabulary": list(vocab) if vocab else None,
        "sql": {o.name: o.checksum() for o in objects if o.scope == "cdm"},
    }
    study = {
        "params": _params_json(params, cutoff),
        "concept_sets": config.checksum,
        "sql": {o.name: o.checksum() for o in objects if o.scope == "study"},
        "cdm": cdm,  # study tables read the vocabulary (CONCEPT_ANCESTOR) too
    }
    return {"cdm": _digest(cdm), "study": _digest(study)}


def _params_json(params: DeriveParams, cutoff: dt.date) -> dict[str, object]:
    values: dict[str, object] = dataclasses.asdict(params)
    values["cutoff_date"] = cutoff.isoformat()
    values["cutoff_given"] = params.cutoff_date is not None
    return values


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def _full_reason(
    scope: Scope,
    fingerprint: str,
    state: dict[str, str],
    force_full: bool,
    full_required: list[str],
) -> str:
    if force_full:
        return "full build requested"
    if full_required:
        return f"source table(s) truncated: {', '.join(full_required)}"
    if scope not in state:
        return "no previous derive"
    if state[scope] != fingerprint:
        return "options, cutoff, concept sets, SQL or vocabulary changed"
    return ""


def _read_state(conn: psycopg.Connection, db: Database) -> dict[str, str]:
    rows = conn.execute(
        sql.SQL("SELECT scope, fingerprint FROM {}.derive_state").format(
            sql.Identifier(db.rwe_schema)
        )
    ).fetchall()
    return {scope: fingerprint for scope, fingerprint in rows}


def _take_full_required(conn: psycopg.Connection, db: Database) -> list[str]:
    rows = conn.execute(
        sql.SQL("DELETE FROM {}.derive_full_required RETURNING table_name").format(
            sql.Identifier(db.rwe_schema)
        )
    ).fetchall()
    return sorted(r[0] for r in rows)


def _fill_scope(conn: psycopg.Connection, db: Database, person_ids: tuple[int, ...]) -> int:
    """Temp table derive_scope: persons marked dirty (taken out of the queue) + `person_ids`.

    Marks written by loads that commit after this snapshot stay queued for the next refresh.
    """
    rwe = sql.Identifier(db.rwe_schema)
    conn.execute("CREATE TEMP TABLE derive_scope (person_id BIGINT PRIMARY KEY) ON COMMIT DROP")
    conn.execute(
        sql.SQL(
            "WITH taken AS (DELETE FROM {}.derive_dirty_person RETURNING person_id)"
            " INSERT INTO derive_scope SELECT person_id FROM taken"
        ).format(rwe)
    )
    if person_ids:
        conn.execute(
            "INSERT INTO derive_scope SELECT unnest(%s::bigint[]) ON CONFLICT DO NOTHING",
            (list(person_ids),),
        )
    conn.execute("ANALYZE derive_scope")
    row = conn.execute("SELECT count(*) FROM derive_scope").fetchone()
    return int(row[0]) if row else 0


def _write_state(
    conn: psycopg.Connection,
    db: Database,
    fingerprints: dict[Scope, str],
    params: DeriveParams,
    cutoff: dt.date,
    config: StudyConfig,
    modes: dict[str, str],
) -> None:
    document = json.dumps(
        {"params": _params_json(params, cutoff), "concept_sets": config.checksum}, default=str
    )
    for scope, fingerprint in fingerprints.items():
        conn.execute(
            sql.SQL(
                "INSERT INTO {}.derive_state (scope, fingerprint, parameters, built_at, mode)"
                " VALUES (%s, %s, %s::jsonb, now(), %s) ON CONFLICT (scope) DO UPDATE SET"
                " fingerprint = EXCLUDED.fingerprint, parameters = EXCLUDED.parameters,"
                " built_at = EXCLUDED.built_at, mode = EXCLUDED.mode"
            ).format(sql.Identifier(db.rwe_schema)),
            (scope, fingerprint, document, modes[scope]),
        )
