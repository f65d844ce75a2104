"""`rwe federate analyze sorafenib`: the study's survival and comparison statistics, pooled."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Literal

import numpy as np

from rwe.analytics.cox_model import CoxResult, Ties
from rwe.analytics.fisher_exact import FisherResult, fisher_exact_test
from rwe.analytics.kaplan_meier import KaplanMeierCurve
from rwe.analytics.log_rank import LogRankResult
from rwe.analytics.survival_input import FloatArray, IntArray
from rwe.analytics.survival_quantile import SurvivalQuantile
from rwe.errors import DatabaseUnreachableError, StatisticsError
from rwe.federation.network import Network
from rwe.federation.pooled_cox import (
    Evaluation,
    fit_federated_cox,
    risk_set_evaluation,
    stratified_evaluation,
)
from rwe.federation.pooled_survival import (
    DayCounts,
    pooled_follow_up,
    pooled_kaplan_meier,
    pooled_kaplan_meier_by_group,
    pooled_log_rank,
    stratified_log_rank,
)
from rwe.federation.protocol import (
    COVARIATE_TERMS,
    DEFAULT_MAX_DAY,
    ENDPOINTS,
    MARKERS,
    VARIABLE_LEVELS,
)

log = logging.getLogger(__name__)

CoxKind = Literal["unstratified", "stratified"]


@dataclass(frozen=True)
class StudyOptions:
    """What to pool; defaults follow STUDY_SORAFENIB (Breslow ties, as EZR)."""

    max_day: int = DEFAULT_MAX_DAY
    ties: Ties = "breslow"
    endpoints: tuple[str, ...] = ENDPOINTS
    group_variables: tuple[str, ...] = MARKERS
    cox_endpoints: tuple[str, ...] = ("ttf", "os")
    cox_covariates: tuple[str, ...] = tuple(COVARIATE_TERMS)
    fisher_tables: tuple[tuple[str, str], ...] = tuple((m, "dcr") for m in MARKERS)
    adverse_events: bool = True


@dataclass(frozen=True)
class AdverseEvents:
    """Pooled Table III: included patients; per term (and for any term) the patients with it
    at any grade and at grade 3 or more (maximum CTCAE grade)."""

    patients: int
    any_event: tuple[int, int]
    terms: dict[str, tuple[int, int]]


@dataclass
class SorafenibPooled:
    """Every pooled number; unsuppressed (the report applies small-cell suppression)."""

    sites: list[str]
    missing: dict[str, str]
    masking: bool
    options: StudyOptions
    counts: dict[tuple[str, str], DayCounts] = field(default_factory=dict)
    km: dict[str, KaplanMeierCurve] = field(default_factory=dict)
    follow_up: dict[str, SurvivalQuantile] = field(default_factory=dict)
    km_by_group: dict[tuple[str, str], dict[str, KaplanMeierCurve]] = field(default_factory=dict)
    log_rank: dict[tuple[str, str], LogRankResult] = field(default_factory=dict)
    log_rank_by_site: dict[tuple[str, str], LogRankResult] = field(default_factory=dict)
    cox: dict[tuple[str, str, CoxKind], CoxResult] = field(default_factory=dict)
    tables: dict[tuple[str, str], IntArray] = field(default_factory=dict)
    fisher: dict[tuple[str, str], FisherResult] = field(default_factory=dict)
    adverse_events: AdverseEvents | None = None
    failures: dict[str, str] = field(default_factory=dict)


def pooled_day_counts(net: Network, endpoint: str, variable: str, max_day: int) -> DayCounts:
    """Sum the sites' masked per-day counts of one endpoint by `variable`."""
    totals = net.pooled("day_counts", endpoint, variable, max_day)
    return DayCounts.from_totals(totals, variable, max_day)


def pooled_log_rank_by_site(
    net: Network, endpoint: str, variable: str, counts: DayCounts
) -> LogRankResult:
    """Log-rank stratified by site from the sites' summed O, E and V."""
    return stratified_log_rank(net.pooled("log_rank_sums", endpoint, variable), variable, counts.n)


class _CoxRounds:
    """One likelihood evaluation = one network round; remembers the pooled size."""

    def __init__(
        self,
        net: Network,
        endpoint: str,
        covariates: list[str],
        kind: CoxKind,
        ties: Ties,
        grid: list[int],
    ) -> None:
        self.net, self.endpoint, self.covariates = net, endpoint, covariates
        self.kind, self.ties, self.grid = kind, ties, grid
        self.n = self.events = 0

    def __call__(self, beta: FloatArray) -> Evaluation:
        b = [float(v) for v in beta]
        if self.kind == "stratified":
            totals = self.net.pooled("cox_stratified", self.endpoint, self.covariates, b, self.ties)
            result = stratified_evaluation(totals, len(b))
        else:
            totals = self.net.pooled("cox_risk_sets", self.endpoint, self.covariates, b, self.grid)
            result = risk_set_evaluation(
                totals, np.asarray(b), len(self.grid), self.ties == "efron"
            )
        self.n, self.events = round(totals["n"]), round(totals["events"])
        return result

    def size(self) -> tuple[int, int]:
        return self.n, self.events


def federated_cox(
    net: Network,
    endpoint: str,
    covariates: list[str],
    kind: CoxKind,
    ties: Ties = "breslow",
    grid: list[int] | None = None,
) -> CoxResult:
    """coxph(Surv ~ covariates [+ strata(site)]) over the network; `grid`: pooled event days."""
    if kind == "unstratified" and not grid:
        raise StatisticsError("the unstratified Cox model needs the event-time grid", "A bug.")
    rounds = _CoxRounds(net, endpoint, covariates, kind, ties, grid or [])
    return fit_federated_cox(rounds, [COVARIATE_TERMS[c] for c in covariates], ties, rounds.size)


def pooled_table(net: Network, row: str, column: str) -> IntArray:
    """The pooled contingency table of two variables over their fixed levels."""
    totals = net.pooled("fisher_counts", row, column)
    cells = [
        [totals[f"cell|{a}|{b}"] for b in VARIABLE_LEVELS[column]] for a in VARIABLE_LEVELS[row]
    ]
    return np.rint(np.array(cells)).astype(np.int64)


def pooled_adverse_events(net: Network) -> AdverseEvents:
    """Sum the sites' masked adverse-event counts over the protocol's fixed terms."""
    totals = net.pooled("ae_counts")

    def count(label: str) -> int:
        return round(totals[label])

    terms = [label.removeprefix("all|") for label in totals if label.startswith("all|")]
    return AdverseEvents(
        count("patients|all"),
        (count("any|all"), count("any|severe")),
        {term: (count(f"all|{term}"), count(f"severe|{term}")) for term in sorted(terms)},
    )


def analyze_sorafenib(net: Network, options: StudyOptions | None = None) -> SorafenibPooled:
    """Pool KM, log-rank (pooled and by site), reverse-KM follow-up, Cox, Fisher and the
    adverse-event counts.

    A refusal by a site of one analysis (e.g. too few events for PFS) is recorded in
    `failures` and the rest goes on; unreachable sites stop the run (see `Network`).
    """
    opts = options or StudyOptions()
    out = SorafenibPooled(
        sites=[s.name for s in net.active],
        missing=dict(net.missing),
        masking=net.options.masking,
        options=opts,
    )
    if opts.adverse_events:  # first: a site set up by an older rwe lacks it, and stops the run
        _attempt(out, "adverse events", partial(_adverse_events, net, out))
    for endpoint in opts.endpoints:
        _attempt(out, f"km {endpoint}", partial(_overall, net, out, endpoint))
        for variable in opts.group_variables:
            _attempt(
                out, f"{endpoint} by {variable}", partial(_grouped, net, out, endpoint, variable)
            )
    for endpoint in opts.cox_endpoints:
        overall = out.counts.get((endpoint, "all"))
        grid = overall.event_days if overall else []
        for covariate in opts.cox_covariates:
            for kind in ("unstratified", "stratified"):
                _attempt(
                    out,
                    f"cox {endpoint} {covariate} {kind}",
                    partial(_cox, net, out, endpoint, covariate, kind, grid),
                )
    for row, column in opts.fisher_tables:
        _attempt(out, f"fisher {row} x {column}", partial(_fisher, net, out, row, column))
    return out


def _overall(net: Network, out: SorafenibPooled, endpoint: str) -> None:
    counts = pooled_day_counts(net, endpoint, "all", out.options.max_day)
    out.counts[(endpoint, "all")] = counts
    out.km[endpoint] = pooled_kaplan_meier(counts)
    out.follow_up[endpoint] = pooled_follow_up(counts)


def _grouped(net: Network, out: SorafenibPooled, endpoint: str, variable: str) -> None:
    counts = pooled_day_counts(net, endpoint, variable, out.options.max_day)
    out.counts[(endpoint, variable)] = counts
    out.km_by_group[(endpoint, variable)] = pooled_kaplan_meier_by_group(counts)
    out.log_rank[(endpoint, variable)] = pooled_log_rank(counts)
    out.log_rank_by_site[(endpoint, variable)] = pooled_log_rank_by_site(
        net, endpoint, variable, counts
    )


def _cox(
    net: Network,
    out: SorafenibPooled,
    endpoint: str,
    covariate: str,
    kind: CoxKind,
    grid: list[int],
) -> None:
    if kind == "unstratified" and not grid:
        reason = out.failures.get(f"km {endpoint}", "no events")
        raise StatisticsError(
            f"no pooled event days of {endpoint}: its Kaplan-Meier gave none ({reason})",
            "The unstratified Cox model is fitted on the pooled event days.",
        )
    out.cox[(endpoint, covariate, kind)] = federated_cox(
        net, endpoint, [covariate], kind, out.options.ties, grid
    )


def _fisher(net: Network, out: SorafenibPooled, row: str, column: str) -> None:
    table = pooled_table(net, row, column)
    out.tables[(row, column)] = table
    out.fisher[(row, column)] = fisher_exact_test(table)


def _adverse_events(net: Network, out: SorafenibPooled) -> None:
    out.adverse_events = pooled_adverse_events(net)


def _attempt(out: SorafenibPooled, what: str, action: Callable[[], None]) -> None:
    try:
        action()
    except DatabaseUnreachableError:
        raise
    except StatisticsError as exc:
        log.warning("%s: %s", what, exc.what)
        out.failures[what] = exc.what
