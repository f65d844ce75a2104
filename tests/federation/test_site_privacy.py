"""The federated role reads no rows; sites enforce the disclosure rules; masks hide a site."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import psycopg
import pytest

from rwe.errors import StatisticsError
from rwe.federation.network import Network
from rwe.federation.secure_sum import pooled_sum
from rwe.federation.site_setup import EXPOSED_FUNCTIONS, FEDERATED_ROLE, setup_site
from rwe.federation.sites import Site
from rwe.federation.sorafenib import StudyOptions, analyze_sorafenib
from tests.federation.cohort import Cohort
from tests.federation.conftest import SiteServer

MAX_DAY = 1600


def query_id() -> str:
    return f"{uuid.uuid4().hex}:000001"


@contextmanager
def rule(server: SiteServer, name: str, value: int) -> Iterator[None]:
    """Temporarily change one disclosure rule at a site (as its admin)."""
    with psycopg.connect(server.admin.url, autocommit=True) as conn:
        old = conn.execute(
            "SELECT value FROM federated.setting WHERE name = %s", (name,)
        ).fetchone()
        conn.execute("UPDATE federated.setting SET value = %s WHERE name = %s", (str(value), name))
    try:
        yield
    finally:
        with psycopg.connect(server.admin.url, autocommit=True) as conn:
            conn.execute("UPDATE federated.setting SET value = %s WHERE name = %s", (old[0], name))


@pytest.mark.parametrize(
    "table",
    [
        "cdm.person",
        "cdm.concept",
        "rwe.schema_migration",
        "study.sorafenib_outcome",
        "study.baseline_marker",
        "study.sorafenib_adverse_event",
        "federated.query_log",
        "federated.pair_key",
        "federated.setting",
    ],
)
def test_federated_role_cannot_read_rows(site_servers: list[SiteServer], table: str) -> None:
    with (
        psycopg.connect(site_servers[0].federated_url, autocommit=True) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(f"SELECT * FROM {table} LIMIT 1")


def test_federated_role_executes_the_protocol_functions_only(
    site_servers: list[SiteServer],
) -> None:
    # Every function of the schema: the internal ones (study_row, mask_release, the guard, ...)
    # are not executable by the role, the protocol's are.
    with psycopg.connect(site_servers[0].admin.url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT p.proname, has_function_privilege(%s, p.oid, 'EXECUTE')"
            " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = 'federated'",
            (FEDERATED_ROLE,),
        ).fetchall()
    allowed = {name for name, can in rows if can}
    assert allowed == set(EXPOSED_FUNCTIONS)
    assert {"study_row", "adverse_event_row", "mask_release", "guard"} <= {n for n, _ in rows}


def test_federated_role_cannot_call_internal_functions(site_servers: list[SiteServer]) -> None:
    with (
        psycopg.connect(site_servers[0].federated_url, autocommit=True) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("SELECT * FROM federated.study_row()")


def test_federated_role_runs_protocol_functions(site_servers: list[SiteServer]) -> None:
    with psycopg.connect(site_servers[0].federated_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT * FROM federated.day_counts(%s, '{}', 'os', 'all', %s)", (query_id(), MAX_DAY)
        ).fetchall()
    assert len(rows) == 2 * (MAX_DAY + 1)


def _true_day_counts(cohort: Cohort, site: str) -> dict[str, Decimal]:
    rows = cohort.analysis()
    rows = rows[rows["site"] == site]
    out = {}
    for day in range(MAX_DAY + 1):
        at = rows[rows["os_days"] == day]
        out[f"event|all|{day}"] = Decimal(int(at["os_event"].sum()))
        out[f"exit|all|{day}"] = Decimal(len(at))
    return out


def test_masks_hide_each_site_and_cancel_in_the_sum(sites: list[Site], cohort: Cohort) -> None:
    with Network(sites) as net:
        masked = net.call("day_counts", "os", "all", MAX_DAY)
    truth = {s.name: _true_day_counts(cohort, s.name) for s in sites}
    for name, payload in masked.items():
        differs = sum(payload[k] != v for k, v in truth[name].items())
        assert differs == len(payload)  # every released value is masked
        assert max(abs(v) for v in payload.values()) > Decimal(10**20)
    pooled = pooled_sum(masked)
    expected = pooled_sum(truth)
    assert pooled == expected


def test_without_masking_the_coordinator_sees_each_site(sites: list[Site], cohort: Cohort) -> None:
    from rwe.federation.network import NetworkOptions

    with Network(sites, NetworkOptions(masking=False)) as net:
        plain = net.call("day_counts", "os", "all", MAX_DAY)
    assert plain["site-a"] == _true_day_counts(cohort, "site-a")


def test_site_below_minimum_patients_refuses(
    site_servers: list[SiteServer], sites: list[Site]
) -> None:
    with (
        rule(site_servers[1], "min_patients", 1000),
        Network(sites) as net,
        pytest.raises(StatisticsError) as err,
    ):
        net.pooled("day_counts", "os", "all", MAX_DAY)
    assert err.value.what == "site site-b refused: fewer than 1000 patients (minimum 1000)"


def test_adverse_events_refused_below_minimum_patients(
    site_servers: list[SiteServer], sites: list[Site]
) -> None:
    with (
        rule(site_servers[2], "min_patients", 1000),
        Network(sites) as net,
        pytest.raises(StatisticsError) as err,
    ):
        net.pooled("ae_counts")
    assert err.value.what == "site site-c refused: fewer than 1000 patients (minimum 1000)"


def test_small_group_level_refused(site_servers: list[SiteServer], sites: list[Site]) -> None:
    with (
        rule(site_servers[0], "min_group", 10_000),
        Network(sites) as net,
        pytest.raises(StatisticsError) as err,
    ):
        net.pooled("day_counts", "os", "alc", MAX_DAY)
    assert err.value.what == "site site-a refused: a group level has fewer than 10000 patients"


def test_too_few_events_refused(site_servers: list[SiteServer], sites: list[Site]) -> None:
    with (
        rule(site_servers[2], "min_events", 10_000),
        Network(sites) as net,
        pytest.raises(StatisticsError, match="site site-c refused: fewer than 10000 events"),
    ):
        net.pooled("log_rank_sums", "os", "nlr")


def test_masked_query_of_too_few_sites_refused(site_servers: list[SiteServer]) -> None:
    with (
        psycopg.connect(site_servers[0].federated_url, autocommit=True) as conn,
        pytest.raises(psycopg.errors.RaiseException, match="at least 3 sites"),
    ):
        conn.execute(
            "SELECT * FROM federated.day_counts(%s, '{site-a,site-b}', 'os', 'all', %s)",
            (query_id(), MAX_DAY),
        )


def test_reused_query_id_refused(site_servers: list[SiteServer]) -> None:
    qid = query_id()
    stmt = "SELECT * FROM federated.day_counts(%s, '{}', 'ttf', 'all', %s)"
    with psycopg.connect(site_servers[0].federated_url, autocommit=True) as conn:
        conn.execute(stmt, (qid, MAX_DAY))
        with pytest.raises(psycopg.errors.RaiseException, match="already used"):
            conn.execute(stmt, (qid, MAX_DAY))


def test_same_query_for_another_set_of_sites_refused(site_servers: list[SiteServer]) -> None:
    stmt = "SELECT * FROM federated.fisher_counts(%s, %s, 'nlr', 'orr')"
    with psycopg.connect(site_servers[0].federated_url, autocommit=True) as conn:
        conn.execute(stmt, (query_id(), ["site-a", "site-b", "site-c"]))
        conn.execute(stmt, (query_id(), ["site-a", "site-b", "site-c"]))  # same set: answered
    with (
        rule(site_servers[0], "min_sites", 2),
        psycopg.connect(site_servers[0].federated_url, autocommit=True) as conn,
        pytest.raises(psycopg.errors.RaiseException, match="another set of sites"),
    ):
        conn.execute(stmt, (query_id(), ["site-a", "site-b"]))


def test_times_beyond_the_agreed_grid_refused(site_servers: list[SiteServer]) -> None:
    with (
        psycopg.connect(site_servers[0].federated_url, autocommit=True) as conn,
        pytest.raises(psycopg.errors.RaiseException, match="agreed maximum day 10"),
    ):
        conn.execute("SELECT * FROM federated.day_counts(%s, '{}', 'os', 'all', 10)", (query_id(),))


def test_site_setup_again_replaces_outdated_functions(site_servers: list[SiteServer]) -> None:
    # A function whose arguments changed in a newer rwe must not stay behind, executable,
    # beside the new one.
    server = site_servers[0]
    count = (
        "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'federated' AND p.proname = 'day_counts'"
    )
    with psycopg.connect(server.admin.url, autocommit=True) as conn:
        conn.execute(
            "CREATE FUNCTION federated.day_counts(text, text[], text, integer)"
            " RETURNS integer LANGUAGE sql AS 'SELECT 1'"
        )
        assert conn.execute(count).fetchone() == (2,)
        keys = dict(conn.execute("SELECT peer, secret FROM federated.pair_key").fetchall())
    setup_site(server.admin, server.name, keys)
    with psycopg.connect(server.admin.url, autocommit=True) as conn:
        assert conn.execute(count).fetchone() == (1,)


def test_cox_without_pooled_event_days_names_why(
    site_servers: list[SiteServer], sites: list[Site]
) -> None:
    options = StudyOptions(
        max_day=MAX_DAY,
        endpoints=("os",),
        group_variables=(),
        cox_endpoints=("os",),
        cox_covariates=("nlr_high",),
        fisher_tables=(),
        adverse_events=False,
    )
    with rule(site_servers[1], "min_events", 1000), Network(sites) as net:
        pooled = analyze_sorafenib(net, options)
    assert pooled.failures["km os"] == "site site-b refused: fewer than 1000 events"
    assert pooled.failures["cox os nlr_high unstratified"] == (
        "no pooled event days of os: its Kaplan-Meier gave none "
        "(site site-b refused: fewer than 1000 events)"
    )
