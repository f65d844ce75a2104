"""`rwe federate site-setup`: the protocol's aggregate functions and a role limited to them."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from rwe.db.connection import Database
from rwe.db.sqlfiles import read_sql
from rwe.errors import BadInputError, SchemaError
from rwe.federation.protocol import ae_terms

log = logging.getLogger(__name__)

FEDERATED_SCHEMA = "federated"
FEDERATED_ROLE = "rwe_federated"
STUDY_SCHEMA = "study"

# Internal objects first (the exposed functions call them), one object per file.
INTERNAL_FILES = (
    "schema",
    "drop_functions",
    "setting",
    "pair_key",
    "query_log",
    "setting_value",
    "hmac_pad",
    "study_row",
    "ae_terms",
    "adverse_event_row",
    "variable_levels",
    "variable_value",
    "covariate_value",
    "analysis_rows",
    "cohort_summary",
    "mask_release",
    "guard",
    "cox_time_sums",
)
# The protocol: the only functions the federated role may execute (name: argument types).
EXPOSED_FUNCTIONS = {
    "feasibility": "text, text[]",
    "day_counts": "text, text[], text, text, integer",
    "log_rank_sums": "text, text[], text, text",
    "cox_stratified": "text, text[], text, text[], double precision[], text",
    "cox_risk_sets": "text, text[], text, text[], double precision[], integer[]",
    "fisher_counts": "text, text[], text, text",
    "ae_counts": "text, text[]",
}
# Disclosure rules (issue #8): the site enforces them, whatever the coordinator asks.
DEFAULT_RULES = {
    "min_patients": 10,
    "min_events": 5,
    "min_group": 5,
    "min_cell": 5,
    "min_sites": 3,
    "allow_unmasked": 1,
    "max_calls_per_run": 2000,
}


@dataclass
class SiteSetup:
    """What `site-setup` did."""

    site_name: str
    role: str
    functions: list[str]
    rules: dict[str, int]
    peers: list[str] = field(default_factory=list)


def setup_site(
    db: Database,
    site_name: str,
    pair_keys: Mapping[str, bytes],
    rules: Mapping[str, int] | None = None,
    role: str = FEDERATED_ROLE,
    password: str | None = None,
) -> SiteSetup:
    """Create (or refresh) the federation schema, its functions, rules, pair keys and the role.

    The functions are SECURITY DEFINER, owned by the connected (admin) user, with a pinned
    search_path; the role may execute them and read no table. Run it again after changing
    rules or keys: it is idempotent. Example: `setup_site(db, "site-a", {"site-b": secret})`.
    """
    merged = {**DEFAULT_RULES, **(rules or {})}
    unknown = set(merged) - set(DEFAULT_RULES)
    if unknown:
        raise BadInputError(f"unknown disclosure rule(s) {sorted(unknown)}", "Check the names.")
    if site_name in pair_keys:
        raise BadInputError("a site needs no pair key with itself", "Remove its own name.")
    short = [peer for peer, key in pair_keys.items() if len(key) < 16]
    if short:
        raise BadInputError(f"pair key(s) for {short} shorter than 16 bytes", "Use 32 bytes.")
    params = _params(db)
    with db.connect() as conn:
        conn.execute("SET LOCAL check_function_bodies = off")  # study tables may come later
        for name in (*INTERNAL_FILES, *EXPOSED_FUNCTIONS):
            conn.execute(read_sql(f"federation/{name}.sql", params).encode())
        fed = sql.Identifier(FEDERATED_SCHEMA)
        settings = {**{k: str(v) for k, v in merged.items()}, "site_name": site_name}
        for key, value in settings.items():
            conn.execute(
                sql.SQL(
                    "INSERT INTO {}.setting (name, value) VALUES (%s, %s)"
                    " ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value"
                ).format(fed),
                (key, value),
            )
        conn.execute(sql.SQL("DELETE FROM {}.pair_key").format(fed))
        for peer, secret in pair_keys.items():
            conn.execute(
                sql.SQL("INSERT INTO {}.pair_key (peer, secret) VALUES (%s, %s)").format(fed),
                (peer, secret),
            )
        _grant(conn, db, role, password)
        conn.commit()
    log.info("site %s: %d protocol functions for role %s", site_name, len(EXPOSED_FUNCTIONS), role)
    return SiteSetup(site_name, role, sorted(EXPOSED_FUNCTIONS), merged, sorted(pair_keys))


def pair_keys_from_env(specs: list[str]) -> dict[str, bytes]:
    """`PEER=ENV_VAR` items: the secret shared with PEER is in ENV_VAR (hex, or any text).

    Keys never go on the command line (shell history, process lists).
    """
    keys: dict[str, bytes] = {}
    for spec in specs:
        peer, sep, var = spec.partition("=")
        if not sep or not peer or not var:
            raise BadInputError(f"bad pair key {spec!r}", "Write PEER=ENV_VAR, e.g. site-b=KEY_AB.")
        value = os.environ.get(var)
        if not value:
            raise BadInputError(
                f"environment variable {var} is not set", f"Export the key for {peer}."
            )
        try:
            keys[peer] = bytes.fromhex(value)
        except ValueError:
            keys[peer] = value.encode()
    return keys


def _params(db: Database) -> dict[str, str]:
    return {
        "federated": FEDERATED_SCHEMA,
        "study": STUDY_SCHEMA,
        "cdm": db.cdm_schema,
        "rwe": db.rwe_schema,
        "ae_terms": _text_array(ae_terms()),
    }


def _text_array(values: tuple[str, ...]) -> str:
    """A SQL TEXT[] literal of `values` (single quotes doubled)."""
    items = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"ARRAY[{items}]::TEXT[]"


def _grant(conn: psycopg.Connection, db: Database, role: str, password: str | None) -> None:
    """The role: EXECUTE on the protocol's functions, no privilege on any table."""
    ident = sql.Identifier(role)
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
    if not exists:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(ident))
    if password:
        conn.execute(
            sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(ident, sql.Literal(password))
        )
    fed = sql.Identifier(FEDERATED_SCHEMA)
    conn.execute(sql.SQL("REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {} FROM PUBLIC").format(fed))
    conn.execute(
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM PUBLIC, {}").format(fed, ident)
    )
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(fed, ident))
    for name, args in EXPOSED_FUNCTIONS.items():
        conn.execute(
            sql.SQL("GRANT EXECUTE ON FUNCTION {}.{}({}) TO {}").format(
                fed, sql.Identifier(name), sql.SQL(args), ident
            )
        )
    # rwe's own schemas are never PUBLIC: row-level data stays with the admin and analysts.
    for schema in (db.cdm_schema, db.rwe_schema, STUDY_SCHEMA):
        if _schema_exists(conn, schema):
            s = sql.Identifier(schema)
            conn.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC, {}").format(s, ident))
            conn.execute(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(s, ident))
    conn.execute(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(ident))
    _verify_no_table_access(conn, role)


def _schema_exists(conn: psycopg.Connection, schema: str) -> bool:
    row = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
    return row is not None


def _verify_no_table_access(conn: psycopg.Connection, role: str) -> None:
    """Refuse to finish if the role can still read any user table (e.g. granted to PUBLIC)."""
    readable = conn.execute(
        "SELECT n.nspname || '.' || c.relname FROM pg_class c"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f')"
        "   AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
        "   AND n.nspname NOT LIKE 'pg_toast%%' AND n.nspname NOT LIKE 'pg_temp%%'"
        "   AND has_schema_privilege(%s, n.oid, 'USAGE')"
        "   AND has_table_privilege(%s, c.oid, 'SELECT')"
        " ORDER BY 1 LIMIT 5",
        (role, role),
    ).fetchall()
    if readable:
        names = ", ".join(r[0] for r in readable)
        raise SchemaError(
            f"role {role} can still read tables ({names}), probably granted to PUBLIC",
            "REVOKE SELECT on them FROM PUBLIC, then run `rwe federate site-setup` again.",
        )
