"""A stopped site: a clear error naming it, or with --allow-partial a labelled partial result.

Runs last (file order): the stopped server stays down until the session's teardown.
"""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from rwe.db.embedded import stop_embedded
from rwe.errors import DatabaseUnreachableError
from rwe.federation.network import Network, NetworkOptions
from rwe.federation.report import write_federated_report
from rwe.federation.sites import Site
from rwe.federation.sorafenib import StudyOptions, analyze_sorafenib
from tests.federation.conftest import SiteServer

FAST = NetworkOptions(attempts=2, retry_delay=0.05, connect_timeout=2)


@pytest.fixture
def stopped_site(site_servers: list[SiteServer]) -> SiteServer:
    server = site_servers[2]
    stop_embedded(server.data_dir)  # no-op when an earlier test stopped it
    return server


def test_stopped_site_named_in_a_clear_error(sites: list[Site], stopped_site: SiteServer) -> None:
    with pytest.raises(DatabaseUnreachableError) as err:
        Network(sites, FAST).open()
    assert err.value.what.startswith("site site-c is unreachable after 2 attempts: ")
    assert "--allow-partial" in err.value.fix


def test_allow_partial_pools_the_others_and_says_so(
    sites: list[Site], site_servers: list[SiteServer], stopped_site: SiteServer, tmp_path: Path
) -> None:
    # Two remaining sites: they must agree to two-site masked pooling (their rule, not ours).
    # Earlier tests pooled these questions over all three sites, so the sites now (rightly)
    # refuse them for two: the difference would be site-c's answer. A site down from the
    # start is the case --allow-partial serves; here the admins clear their logs to model it.
    for server in site_servers[:2]:
        with psycopg.connect(server.admin.url, autocommit=True) as conn:
            conn.execute("UPDATE federated.setting SET value = '2' WHERE name = 'min_sites'")
            conn.execute("TRUNCATE federated.query_log")
    try:
        options = NetworkOptions(
            allow_partial=True, min_sites=2, attempts=2, retry_delay=0.05, connect_timeout=2
        )
        with Network(sites, options) as net:
            pooled = analyze_sorafenib(
                net, StudyOptions(max_day=1600, group_variables=("nlr",), cox_covariates=("age",))
            )
        assert pooled.sites == ["site-a", "site-b"] and list(pooled.missing) == ["site-c"]
        assert pooled.failures == {}
        write_federated_report(pooled, tmp_path)
        network = json.loads((tmp_path / "results.json").read_text())["results"]["network"]
        assert network["partial"] is True and list(network["missing_sites"]) == ["site-c"]
        assert "PARTIAL RESULT: missing site(s) site-c." in (tmp_path / "report.md").read_text()
    finally:
        for server in site_servers[:2]:
            with psycopg.connect(server.admin.url, autocommit=True) as conn:
                conn.execute("UPDATE federated.setting SET value = '3' WHERE name = 'min_sites'")
