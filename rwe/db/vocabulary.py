"""Vocabulary: the built-in seed, and OHDSI Athena releases loaded by COPY, replaced atomically."""

from __future__ import annotations

import csv
import logging
import re
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import psycopg
from psycopg import sql

from rwe import __version__
from rwe.db.connection import Database
from rwe.errors import VocabularyError
from rwe.omop_mappings import (
    LOCAL_CONCEPT_CSV,
    LOCAL_CONCEPT_MIN,
    LOCAL_VOCABULARY_ID,
    SEED_CONCEPT_CSV,
    SOURCE_TO_CONCEPT_MAP_CSV,
)

log = logging.getLogger(__name__)

# Athena's files, in load order; the first two are required.
VOCABULARY_TABLES = [
    "concept",
    "vocabulary",
    "domain",
    "concept_class",
    "relationship",
    "concept_relationship",
    "concept_ancestor",
    "concept_synonym",
    "drug_strength",
]
REQUIRED_TABLES = {"concept", "vocabulary"}
# The source_to_concept_map is rwe's (local codes) plus whatever a release brings.
ALL_TABLES = [*VOCABULARY_TABLES, "source_to_concept_map"]
_CHUNK = 1 << 20

Progress = Callable[[str, int, int], None]  # (table, bytes done, bytes total)


@dataclass
class VocabularySource:
    """One vocabulary file: which table, how to open it, its size and how it is delimited."""

    table: str
    name: str
    size: int
    opener: Callable[[], IO[bytes]]


@dataclass
class LoadSummary:
    version: str
    source: str
    rows: dict[str, int] = field(default_factory=dict)


def find_sources(path: Path) -> list[VocabularySource]:
    """The vocabulary files in a folder or a zip (CONCEPT.csv, concept.csv, ...)."""
    if not path.exists():
        raise VocabularyError(f"{path} does not exist", "Pass an Athena download folder or zip.")
    sources: list[VocabularySource] = []
    if path.is_dir():
        for file in sorted(path.iterdir()):
            table = _table_of(file.name)
            if table and file.is_file():
                sources.append(
                    VocabularySource(table, str(file), file.stat().st_size, _file_opener(file))
                )
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                table = _table_of(Path(info.filename).name)
                if table and "__MACOSX" not in info.filename:
                    sources.append(
                        VocabularySource(
                            table,
                            f"{path}!{info.filename}",
                            info.file_size,
                            _zip_opener(path, info.filename),
                        )
                    )
    else:
        raise VocabularyError(
            f"{path} is neither a folder nor a zip file",
            "Pass the folder or zip that Athena's download contains.",
        )
    missing = REQUIRED_TABLES - {s.table for s in sources}
    if missing:
        raise VocabularyError(
            f"{path} has no {', '.join(sorted(t.upper() for t in missing))} file",
            "Athena downloads contain CONCEPT.csv and VOCABULARY.csv; check the path.",
        )
    return sources


def _table_of(filename: str) -> str | None:
    match = re.match(r"^([A-Za-z_]+)\.(csv|tsv|txt)$", filename)
    if match and match.group(1).lower() in ALL_TABLES:
        return match.group(1).lower()
    return None


def _file_opener(file: Path) -> Callable[[], IO[bytes]]:
    return lambda: file.open("rb")


def _zip_opener(path: Path, member: str) -> Callable[[], IO[bytes]]:
    def opener() -> IO[bytes]:
        zf = zipfile.ZipFile(path)
        return zf.open(member)

    return opener


def load_release(db: Database, path: Path, progress: Progress | None = None) -> LoadSummary:
    """Replace the vocabulary with the release at `path` in one transaction.

    Readers keep seeing the previous release until the commit; a failure leaves it intact.
    """
    sources = find_sources(path)
    with db.transaction() as conn:
        summary = _replace_tables(conn, db, sources, str(path), progress)
    return summary


def _replace_tables(
    conn: psycopg.Connection,
    db: Database,
    sources: list[VocabularySource],
    origin: str,
    progress: Progress | None,
) -> LoadSummary:
    cdm = db.cdm_schema
    with _without_indexes(conn, cdm, ALL_TABLES):
        conn.execute(
            sql.SQL("TRUNCATE {}").format(
                sql.SQL(", ").join(sql.Identifier(cdm, t) for t in ALL_TABLES)
            )
        )
        rows: dict[str, int] = {}
        for source in sorted(sources, key=lambda s: ALL_TABLES.index(s.table)):
            rows[source.table] = _copy_source(conn, cdm, source, progress)
    _add_local_concepts(conn, cdm)
    version = _release_version(conn, cdm) or "unknown"
    _record_release(conn, db, version, origin, is_seed=False)
    return LoadSummary(version=version, source=origin, rows=rows)


def _copy_source(
    conn: psycopg.Connection, cdm: str, source: VocabularySource, progress: Progress | None
) -> int:
    columns = _table_columns(conn, cdm, source.table)
    with source.opener() as raw:
        header_line = raw.readline()
        header_text = header_line.decode("utf-8-sig").rstrip("\r\n")
        delimiter = "\t" if "\t" in header_text else ","
        header = [h.strip().strip('"').lower() for h in header_text.split(delimiter)]
        unknown = [h for h in header if h not in columns]
        if unknown:
            raise VocabularyError(
                f"{source.name}, line 1: unknown column(s) {', '.join(unknown)} for "
                f"{source.table.upper()}",
                "Use an unmodified Athena (CDM v5.x) vocabulary file.",
            )
        nullable = [h for h in header if columns[h]]
        # Athena's tab files are not quoted (names may contain '"'): quote with a byte that
        # never occurs. Comma exports (e.g. Eunomia) quote with '"' and write NULL as "".
        quote = "\x01" if delimiter == "\t" else '"'
        stmt = sql.SQL(
            "COPY {} ({}) FROM STDIN WITH (FORMAT csv, DELIMITER {}, QUOTE {}{})"
        ).format(
            sql.Identifier(cdm, source.table),
            sql.SQL(", ").join(sql.Identifier(h) for h in header),
            sql.Literal(delimiter),
            sql.Literal(quote),
            sql.SQL(", FORCE_NULL ({})").format(
                sql.SQL(", ").join(sql.Identifier(h) for h in nullable)
            )
            if nullable and delimiter == ","
            else sql.SQL(""),
        )
        done = len(header_line)
        try:
            with conn.cursor() as cur:
                with cur.copy(stmt) as copy:
                    for chunk in iter(lambda: raw.read(_CHUNK), b""):
                        copy.write(chunk)
                        done += len(chunk)
                        if progress:
                            progress(source.table, done, source.size)
                rowcount = cur.rowcount
        except psycopg.errors.DataError as exc:
            raise VocabularyError(_locate(source, exc), "Fix or re-download the file.") from exc
        except psycopg.errors.IntegrityError as exc:
            raise VocabularyError(_locate(source, exc), "Remove the duplicate rows.") from exc
    log.info("%s: %d rows from %s", source.table, rowcount, source.name)
    return rowcount


def _locate(source: VocabularySource, exc: psycopg.Error) -> str:
    """Turn PostgreSQL's `COPY t, line N, column c` context into file, line and what is wrong."""
    context = exc.diag.context or ""
    message = (exc.diag.message_primary or str(exc)).rstrip(".")
    match = re.search(r"line (\d+)(?:, column (\w+))?", context)
    if match:
        line = int(match.group(1)) + 1  # COPY counts from the first data line; line 1 is the header
        column = f", column {match.group(2)}" if match.group(2) else ""
        return f"bad vocabulary file {source.name}, line {line}{column}: {message}"
    return f"bad vocabulary file {source.name}: {message}"


def _table_columns(conn: psycopg.Connection, schema: str, table: str) -> dict[str, bool]:
    """Column name → nullable."""
    rows = conn.execute(
        "SELECT column_name, is_nullable = 'YES' FROM information_schema.columns"
        " WHERE table_schema = %s AND table_name = %s",
        (schema, table),
    ).fetchall()
    return {name: bool(nullable) for name, nullable in rows}


@contextmanager
def _without_indexes(conn: psycopg.Connection, schema: str, tables: list[str]) -> Iterator[None]:
    """Drop the tables' indexes and keys during a bulk load and rebuild them after (faster)."""
    constraints = conn.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)"
        " FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid"
        " JOIN pg_namespace n ON n.oid = t.relnamespace"
        " WHERE n.nspname = %s AND t.relname = ANY(%s) AND c.contype IN ('p', 'u')",
        (schema, tables),
    ).fetchall()
    indexes = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s AND tablename = ANY(%s)"
        " AND indexname NOT IN (SELECT conname FROM pg_constraint)",
        (schema, tables),
    ).fetchall()
    for table, name, _ in constraints:
        conn.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                sql.SQL(table), sql.Identifier(name)
            )
        )
    for name, _ in indexes:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(schema, name)))
    yield
    for table, name, definition in constraints:
        try:
            conn.execute(
                sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                    sql.SQL(table), sql.Identifier(name), sql.SQL(definition)
                )
            )
        except psycopg.errors.UniqueViolation as exc:
            raise VocabularyError(
                f"the release has duplicate keys in {table}: {exc.diag.message_detail}",
                "Use an unmodified Athena download.",
            ) from exc
    for _, definition in indexes:
        conn.execute(sql.SQL(definition))


def _add_local_concepts(conn: psycopg.Connection, cdm: str) -> None:
    """rwe's local concepts (ids >= 2e9, §f2o-039) and local code maps survive every release."""
    _copy_csv(conn, cdm, "concept", LOCAL_CONCEPT_CSV, defaults=_CONCEPT_DEFAULTS)
    _copy_csv(
        conn, cdm, "source_to_concept_map", SOURCE_TO_CONCEPT_MAP_CSV, defaults=_STCM_DEFAULTS
    )
    params = {"cdm": sql.Identifier(cdm), "local": sql.Literal(LOCAL_VOCABULARY_ID)}
    for stmt in (
        "INSERT INTO {cdm}.vocabulary VALUES ({local}, 'rwe local concepts', 'rwe', {version}, 0)"
        " ON CONFLICT DO NOTHING",
        "INSERT INTO {cdm}.domain SELECT d, d, 0 FROM (SELECT DISTINCT domain_id AS d FROM"
        " {cdm}.concept WHERE concept_id >= {min}) x ON CONFLICT DO NOTHING",
        "INSERT INTO {cdm}.concept_class SELECT c, c, 0 FROM (SELECT DISTINCT concept_class_id AS c"
        " FROM {cdm}.concept WHERE concept_id >= {min}) x ON CONFLICT DO NOTHING",
        "INSERT INTO {cdm}.relationship VALUES ('Maps to', 'Non-standard to Standard map (OMOP)',"
        " '0', '1', 'Mapped from', 0) ON CONFLICT DO NOTHING",
        "INSERT INTO {cdm}.concept_relationship SELECT concept_id, concept_id, 'Maps to',"
        " valid_start_date, valid_end_date, NULL FROM {cdm}.concept WHERE concept_id >= {min}"
        " AND standard_concept = 'S' ON CONFLICT DO NOTHING",
        "INSERT INTO {cdm}.concept_ancestor SELECT concept_id, concept_id, 0, 0 FROM {cdm}.concept"
        " WHERE concept_id >= {min} AND standard_concept = 'S' ON CONFLICT DO NOTHING",
    ):
        conn.execute(
            sql.SQL(stmt).format(
                **params, min=sql.Literal(LOCAL_CONCEPT_MIN), version=sql.Literal(__version__)
            )
        )


_CONCEPT_DEFAULTS = {
    "valid_start_date": "1970-01-01",
    "valid_end_date": "2099-12-31",
    "invalid_reason": None,
}
_STCM_DEFAULTS = {
    "source_concept_id": "0",
    "valid_start_date": "1970-01-01",
    "valid_end_date": "2099-12-31",
    "invalid_reason": None,
}


def _copy_csv(
    conn: psycopg.Connection,
    cdm: str,
    table: str,
    path: Path,
    defaults: dict[str, str | None],
) -> int:
    """COPY a small packaged CSV, filling the columns it lacks from `defaults`."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fieldnames = list(reader.fieldnames or [])
        columns = fieldnames + [c for c in defaults if c not in fieldnames]
        stmt = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(cdm, table), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
        )
        count = 0
        with conn.cursor() as cur, cur.copy(stmt) as copy:
            for row in reader:
                values = [row.get(c, defaults.get(c)) or None for c in columns]
                copy.write_row(values)
                count += 1
    return count


def load_seed(db: Database, conn: psycopg.Connection) -> int:
    """Load the built-in seed vocabulary (verified concepts + rwe's local ones) into an empty
    vocabulary; returns the number of concepts."""
    cdm = db.cdm_schema
    _copy_csv(conn, cdm, "concept", SEED_CONCEPT_CSV, defaults=_CONCEPT_DEFAULTS)
    conn.execute(
        sql.SQL(
            "INSERT INTO {cdm}.vocabulary SELECT v, v, 'rwe seed', NULL, 0 FROM (SELECT DISTINCT"
            " vocabulary_id AS v FROM {cdm}.concept) x ON CONFLICT DO NOTHING"
        ).format(cdm=sql.Identifier(cdm))
    )
    conn.execute(
        sql.SQL(
            "INSERT INTO {cdm}.vocabulary VALUES ('None', 'OMOP Standardized Vocabularies',"
            " 'rwe seed', {version}, 0)"
        ).format(cdm=sql.Identifier(cdm), version=sql.Literal(f"rwe seed {__version__}"))
    )
    for table, column in (("domain", "domain_id"), ("concept_class", "concept_class_id")):
        conn.execute(
            sql.SQL(
                "INSERT INTO {cdm}.{table} SELECT x, x, 0 FROM (SELECT DISTINCT {col} AS x FROM"
                " {cdm}.concept) d ON CONFLICT DO NOTHING"
            ).format(
                cdm=sql.Identifier(cdm), table=sql.Identifier(table), col=sql.Identifier(column)
            )
        )
    # Athena ships a self "Maps to" and a level-0 ancestor row for every standard concept.
    conn.execute(
        sql.SQL(
            "INSERT INTO {cdm}.concept_relationship SELECT concept_id, concept_id, 'Maps to',"
            " valid_start_date, valid_end_date, NULL FROM {cdm}.concept"
            " WHERE standard_concept = 'S'"
        ).format(cdm=sql.Identifier(cdm))
    )
    conn.execute(
        sql.SQL(
            "INSERT INTO {cdm}.concept_ancestor SELECT concept_id, concept_id, 0, 0"
            " FROM {cdm}.concept WHERE standard_concept = 'S'"
        ).format(cdm=sql.Identifier(cdm))
    )
    _add_local_concepts(conn, cdm)
    version = f"rwe seed {__version__}"
    _record_release(conn, db, version, "built-in seed (rwe/omop_mappings)", is_seed=True)
    row = conn.execute(sql.SQL("SELECT count(*) FROM {}.concept").format(sql.Identifier(cdm)))
    return int(row.fetchone()[0])  # type: ignore[index]


def _release_version(conn: psycopg.Connection, cdm: str) -> str | None:
    """Athena records the release in VOCABULARY row 'None' (e.g. 'v5.0 09-APR-22')."""
    row = conn.execute(
        sql.SQL("SELECT vocabulary_version FROM {}.vocabulary WHERE vocabulary_id = 'None'").format(
            sql.Identifier(cdm)
        )
    ).fetchone()
    return str(row[0]) if row and row[0] else None


def _record_release(
    conn: psycopg.Connection, db: Database, version: str, source: str, is_seed: bool
) -> None:
    cdm, rwe = sql.Identifier(db.cdm_schema), sql.Identifier(db.rwe_schema)
    counts = conn.execute(
        sql.SQL(
            "SELECT (SELECT count(*) FROM {cdm}.concept), (SELECT count(*) FROM"
            " {cdm}.concept_relationship)"
        ).format(cdm=cdm)
    ).fetchone()
    assert counts is not None
    conn.execute(
        sql.SQL(
            "INSERT INTO {}.vocabulary_release (vocabulary_version, source, concept_count,"
            " relationship_count, is_seed) VALUES (%s, %s, %s, %s, %s)"
        ).format(rwe),
        (version, source, counts[0], counts[1], is_seed),
    )
    conn.execute(
        sql.SQL("UPDATE {}.cdm_source SET vocabulary_version = %s").format(cdm), (version,)
    )


def current_release(conn: psycopg.Connection, db: Database) -> dict[str, object] | None:
    """The release in use: version, source, when, counts; None when no vocabulary was loaded."""
    row = conn.execute(
        sql.SQL(
            "SELECT vocabulary_version, source, loaded_at, concept_count, is_seed FROM"
            " {}.vocabulary_release ORDER BY release_id DESC LIMIT 1"
        ).format(sql.Identifier(db.rwe_schema))
    ).fetchone()
    if row is None:
        return None
    keys = ("vocabulary_version", "source", "loaded_at", "concept_count", "is_seed")
    return dict(zip(keys, row, strict=True))
