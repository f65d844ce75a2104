"""`rwe federate ...`: multi-site studies that share aggregates only (docs/FEDERATION.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from rwe.cli import app
from rwe.cli.context import state
from rwe.errors import BadInputError, StatisticsError

federate_app = typer.Typer(
    help="Federated studies: site setup, feasibility counts, pooled analyses.",
    no_args_is_help=True,
)
app.add_typer(federate_app, name="federate")
out = Console()

SitesOpt = Annotated[Path, typer.Option("--sites", help="sites.toml: one [[site]] per site.")]
PartialOpt = Annotated[
    bool, typer.Option("--allow-partial", help="Pool the reachable sites; name the missing.")
]
MinSitesOpt = Annotated[int, typer.Option("--min-sites", help="Fewest sites to pool.")]
NoMaskOpt = Annotated[
    bool, typer.Option("--no-masking", help="No secure sum: the coordinator sees each site.")
]


def _network(sites: Path, allow_partial: bool, min_sites: int, no_masking: bool):  # type: ignore[no-untyped-def]
    from rwe.federation.network import Network, NetworkOptions
    from rwe.federation.sites import load_sites

    options = NetworkOptions(
        allow_partial=allow_partial, min_sites=min_sites, masking=not no_masking
    )
    return Network(load_sites(sites), options)


@federate_app.command("site-setup")
def site_setup(
    site_name: Annotated[str, typer.Option("--site-name", help="This site's name in sites.toml.")],
    pair_key: Annotated[
        list[str] | None,
        typer.Option("--pair-key", help="PEER=ENV_VAR: the secret shared with PEER (repeat)."),
    ] = None,
    password_env: Annotated[
        str | None, typer.Option("--password-env", help="Env var holding the role's password.")
    ] = None,
    min_patients: Annotated[int, typer.Option(help="Refuse analyses of fewer patients.")] = 10,
    min_events: Annotated[
        int, typer.Option(help="Refuse survival analyses with fewer events.")
    ] = 5,
    min_group: Annotated[int, typer.Option(help="Refuse group levels of 1..N-1 patients.")] = 5,
    min_cell: Annotated[int, typer.Option(help="Suppress released counts below this.")] = 5,
    min_sites: Annotated[int, typer.Option(help="Refuse masked queries of fewer sites.")] = 3,
) -> None:
    """Create the protocol's functions and the rwe_federated role on this site's database.

    Example: `KEY_AB=$(openssl rand -hex 32) rwe federate site-setup --site-name site-a
    --pair-key site-b=KEY_AB --pair-key site-c=KEY_AC --password-env RWE_FEDERATED_PASSWORD`.
    """
    from rwe.federation.site_setup import pair_keys_from_env, setup_site

    password = os.environ.get(password_env) if password_env else None
    if password_env and not password:
        raise BadInputError(f"environment variable {password_env} is not set", "Export it.")
    rules = {
        "min_patients": min_patients,
        "min_events": min_events,
        "min_group": min_group,
        "min_cell": min_cell,
        "min_sites": min_sites,
    }
    done = setup_site(
        state.database(), site_name, pair_keys_from_env(pair_key or []), rules, password=password
    )
    out.print(
        f"Site {done.site_name}: role {done.role} may execute {len(done.functions)} protocol "
        f"functions and read no table; peers with keys: {', '.join(done.peers) or 'none'}."
    )


@federate_app.command("count")
def count(
    sites: SitesOpt,
    allow_partial: PartialOpt = False,
    min_sites: MinSitesOpt = 3,
    no_masking: NoMaskOpt = False,
) -> None:
    """Feasibility counts per site and pooled (cohort, baseline labs, events, histology).

    Example: `rwe federate count --sites sites.toml`.
    """
    from rwe.federation.feasibility import count_feasibility

    with _network(sites, allow_partial, min_sites, no_masking) as net:
        counts = count_feasibility(net)
    table = Table("measure", *counts.per_site, "pooled")
    for m in counts.measures:
        cells = [_cell(counts.per_site[s].get(m)) for s in counts.per_site]
        table.add_row(m, *cells, _cell(counts.pooled[m]))
    out.print(table)
    for name in counts.missing:
        out.print(f"PARTIAL: site {name} is missing.")
    if not counts.masking:
        out.print("No masking: the coordinator saw each site's unsuppressed counts.")


@federate_app.command("analyze")
def analyze(
    study: Annotated[str, typer.Argument(help="The study: sorafenib.")],
    sites: SitesOpt,
    out_dir: Annotated[Path, typer.Option("--out", help="Output directory.")],
    allow_partial: PartialOpt = False,
    min_sites: MinSitesOpt = 3,
    no_masking: NoMaskOpt = False,
    max_day: Annotated[int, typer.Option(help="The agreed public day grid 0..max-day.")] = 3653,
    ties: Annotated[str, typer.Option(help="Cox ties: breslow (EZR) or efron.")] = "breslow",
) -> None:
    """Pooled KM, log-rank, follow-up, Cox, Fisher and adverse events over the network, equal to a
    centralized analysis. Example: `rwe federate analyze sorafenib --sites sites.toml --out out`.
    """
    from rwe.federation.report import write_federated_report
    from rwe.federation.sorafenib import StudyOptions, analyze_sorafenib

    if study != "sorafenib":
        raise BadInputError(f"unknown study {study!r}", "The federated study is: sorafenib.")
    if ties not in ("breslow", "efron"):
        raise BadInputError(f"unknown ties method {ties!r}", "Use breslow or efron.")
    with _network(sites, allow_partial, min_sites, no_masking) as net:
        pooled = analyze_sorafenib(net, StudyOptions(max_day=max_day, ties=ties))  # type: ignore[arg-type]
    if not pooled.km and not pooled.cox:
        raise StatisticsError(
            "every analysis was refused or failed: " + "; ".join(pooled.failures.values()),
            "See the sites' disclosure rules.",
        )
    write_federated_report(pooled, out_dir)
    out.print(f"Wrote {out_dir / 'results.json'} and {out_dir / 'report.md'}.")
    for name in pooled.missing:
        out.print(f"PARTIAL: site {name} is missing.")


def _cell(value: int | None) -> str:
    return "<5" if value is None else str(value)
