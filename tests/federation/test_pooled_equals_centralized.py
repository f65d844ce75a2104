"""Federated == centralized (1e-8) for every number the protocol covers, on three real servers."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from rwe.analytics.cox_likelihood import CoxRiskSets, evaluate_partial_likelihood
from rwe.analytics.cox_model import CoxResult, fit_cox_matrix
from rwe.analytics.fisher_exact import fisher_exact_test
from rwe.analytics.kaplan_meier import (
    KaplanMeierCurve,
    fit_kaplan_meier,
    fit_kaplan_meier_by_group,
    median_follow_up,
    median_survival,
    number_at_risk,
)
from rwe.analytics.log_rank import log_rank_test
from rwe.federation.network import Network
from rwe.federation.pooled_cox import fit_federated_cox
from rwe.federation.protocol import COVARIATE_TERMS, ae_terms
from rwe.federation.report import adverse_event_table, km_figures, results_json, risk_ticks
from rwe.federation.sites import Site
from rwe.federation.sorafenib import SorafenibPooled, StudyOptions, analyze_sorafenib, federated_cox
from rwe.study.analyses import adverse_events
from tests.federation.cohort import OFF_PROTOCOL_TERM, Cohort

TOL = 1e-8
MAX_DAY = 1600
OPTIONS = StudyOptions(
    max_day=MAX_DAY,
    cox_covariates=("alc_high", "nlr_high", "age"),
)


@pytest.fixture(scope="module")
def network(sites: list[Site]) -> Iterator[Network]:
    with Network(sites) as net:
        yield net


@pytest.fixture(scope="module")
def pooled(network: Network) -> SorafenibPooled:
    return analyze_sorafenib(network, OPTIONS)


@pytest.fixture(scope="module")
def central(cohort: Cohort) -> pd.DataFrame:
    return cohort.analysis()


def close(a: object, b: object) -> None:
    np.testing.assert_allclose(
        np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=TOL, atol=TOL, equal_nan=True
    )


def same_curve(fed: KaplanMeierCurve, cen: KaplanMeierCurve) -> None:
    for attr in ("time", "n_risk", "n_event", "n_censor", "surv", "std_err", "lower", "upper"):
        close(getattr(fed, attr), getattr(cen, attr))
    fm, cm = median_survival(fed), median_survival(cen)
    assert (fm.estimate, fm.lower, fm.upper) == (cm.estimate, cm.lower, cm.upper)
    ticks = np.arange(0, 1600, 180)
    close(number_at_risk(fed, ticks).n_risk, number_at_risk(cen, ticks).n_risk)


def same_cox(fed: CoxResult, cen: CoxResult) -> None:
    assert (fed.n, fed.n_event) == (cen.n, cen.n_event)
    for f, c in zip(fed.terms, cen.terms, strict=True):
        close(
            [f.coef, f.se, f.hr, f.hr_lower, f.hr_upper, f.p_wald],
            [c.coef, c.se, c.hr, c.hr_lower, c.hr_upper, c.p_wald],
        )
    close(
        [fed.loglik_null, fed.loglik, fed.lr, fed.wald, fed.score],
        [cen.loglik_null, cen.loglik, cen.lr, cen.wald, cen.score],
    )


def test_nothing_refused(pooled: SorafenibPooled) -> None:
    assert pooled.failures == {}
    assert pooled.sites == ["site-a", "site-b", "site-c"] and not pooled.missing


@pytest.mark.parametrize("endpoint", ["ttf", "pfs", "os"])
def test_kaplan_meier_and_follow_up(
    pooled: SorafenibPooled, central: pd.DataFrame, endpoint: str
) -> None:
    t, e = central[f"{endpoint}_days"], central[f"{endpoint}_event"]
    same_curve(pooled.km[endpoint], fit_kaplan_meier(t, e))
    fu, cu = pooled.follow_up[endpoint], median_follow_up(t, e)
    assert (fu.estimate, fu.lower, fu.upper) == (cu.estimate, cu.lower, cu.upper)


@pytest.mark.parametrize("endpoint", ["ttf", "pfs", "os"])
@pytest.mark.parametrize("marker", ["alc", "nlr", "plr", "lmr"])
def test_groups_and_log_rank(
    pooled: SorafenibPooled, central: pd.DataFrame, endpoint: str, marker: str
) -> None:
    rows = central[central[f"{marker}_group"].notna()]
    t, e, g = rows[f"{endpoint}_days"], rows[f"{endpoint}_event"], rows[f"{marker}_group"]
    curves = fit_kaplan_meier_by_group(t, e, g)
    assert set(curves) == set(pooled.km_by_group[(endpoint, marker)])
    for level, curve in curves.items():
        same_curve(pooled.km_by_group[(endpoint, marker)][level], curve)
    fed, cen = pooled.log_rank[(endpoint, marker)], log_rank_test(t, e, g)
    assert fed.groups == cen.groups
    close([fed.chisq, fed.p], [cen.chisq, cen.p])
    close(fed.observed, cen.observed)
    close(fed.expected, cen.expected)
    strat = log_rank_test(t, e, g, strata=rows["site"])
    fed_s = pooled.log_rank_by_site[(endpoint, marker)]
    close([fed_s.chisq, fed_s.p], [strat.chisq, strat.p])
    close(fed_s.expected, strat.expected)
    close(fed_s.variance, strat.variance)


def _cox_rows(central: pd.DataFrame, endpoint: str, covariates: list[str]) -> pd.DataFrame:
    return central.dropna(subset=covariates)


@pytest.mark.parametrize("endpoint", ["ttf", "os"])
@pytest.mark.parametrize("covariate", ["alc_high", "nlr_high", "age"])
def test_cox_unstratified(
    pooled: SorafenibPooled, central: pd.DataFrame, endpoint: str, covariate: str
) -> None:
    rows = _cox_rows(central, endpoint, [covariate])
    cen = fit_cox_matrix(
        rows[f"{endpoint}_days"],
        rows[f"{endpoint}_event"],
        rows[[covariate]].to_numpy(),
        [COVARIATE_TERMS[covariate]],
        "breslow",
    )
    same_cox(pooled.cox[(endpoint, covariate, "unstratified")], cen)


def centralized_stratified(rows: pd.DataFrame, endpoint: str, covariates: list[str], ties: str):
    """coxph(... + strata(site)) on the union: analytics' likelihood summed over strata."""
    sets = [
        CoxRiskSets.build(
            g[f"{endpoint}_days"].to_numpy(dtype=float),
            g[f"{endpoint}_event"].to_numpy(dtype=np.int64),
            g[covariates].to_numpy(dtype=float),
            ties == "efron",
        )
        for _, g in rows.groupby("site")
    ]

    def evaluate(beta):  # type: ignore[no-untyped-def]
        parts = [evaluate_partial_likelihood(s, beta) for s in sets]
        return (sum(p[0] for p in parts), sum(p[1] for p in parts), sum(p[2] for p in parts))

    size = (len(rows), int(rows[f"{endpoint}_event"].sum()))
    terms = [COVARIATE_TERMS[c] for c in covariates]
    return fit_federated_cox(evaluate, terms, ties, lambda: size)  # type: ignore[arg-type]


@pytest.mark.parametrize("endpoint", ["ttf", "os"])
@pytest.mark.parametrize("covariate", ["alc_high", "nlr_high", "age"])
def test_cox_stratified_by_site(
    pooled: SorafenibPooled, central: pd.DataFrame, endpoint: str, covariate: str
) -> None:
    rows = _cox_rows(central, endpoint, [covariate])
    cen = centralized_stratified(rows, endpoint, [covariate], "breslow")
    same_cox(pooled.cox[(endpoint, covariate, "stratified")], cen)


def test_cox_efron_two_covariates(network: Network, central: pd.DataFrame) -> None:
    covariates = ["nlr_high", "age"]
    rows = _cox_rows(central, "os", covariates)
    grid = sorted(int(d) for d in rows.loc[rows["os_event"] == 1, "os_days"].unique())
    fed = federated_cox(network, "os", covariates, "unstratified", "efron", grid)
    cen = fit_cox_matrix(
        rows["os_days"],
        rows["os_event"],
        rows[covariates].to_numpy(),
        [COVARIATE_TERMS[c] for c in covariates],
        "efron",
    )
    same_cox(fed, cen)
    fed_s = federated_cox(network, "os", covariates, "stratified", "efron")
    same_cox(fed_s, centralized_stratified(rows, "os", covariates, "efron"))


@pytest.mark.parametrize("marker", ["alc", "nlr", "plr", "lmr"])
def test_fisher_from_pooled_counts(
    pooled: SorafenibPooled, central: pd.DataFrame, marker: str
) -> None:
    rows = central[central[f"{marker}_group"].notna()]
    table = pd.crosstab(rows[f"{marker}_group"], rows["dcr_level"])
    table = table.reindex(index=["high", "low"], columns=["yes", "no"], fill_value=0)
    assert pooled.tables[(marker, "dcr")].tolist() == table.to_numpy().tolist()
    fed, cen = pooled.fisher[(marker, "dcr")], fisher_exact_test(table.to_numpy())
    close(
        [fed.p, fed.odds_ratio, fed.or_lower, fed.or_upper],
        [cen.p, cen.odds_ratio, cen.or_lower, cen.or_upper],
    )


def test_figures_show_the_pooled_curves_with_the_released_numbers_at_risk(
    pooled: SorafenibPooled,
) -> None:
    # The figures' number-at-risk rows are results.json's, suppressed the same way ("<5").
    released = results_json(pooled, min_cell=5)
    figures = km_figures(pooled, min_cell=5)
    assert set(figures) == {f"federated_km_{e}" for e in pooled.km} | {
        f"federated_km_{e}_by_{v}" for (e, v), curves in pooled.km_by_group.items() if curves
    }
    for endpoint in pooled.km:
        _, fig = figures[f"federated_km_{endpoint}"]
        risk_axis = fig.axes[1]
        shown = [t.get_text() for t in risk_axis.texts if t.get_text() != "All"]
        expected = released["efficacy"][endpoint]["number_at_risk"]["n_risk"]
        assert shown == ["<5" if n is None else str(n) for n in expected]
        curve_line = fig.axes[0].lines[0]
        assert curve_line.get_ydata()[1:].tolist() == pooled.km[endpoint].surv.tolist()
        plt.close(fig)
    suppressed = 0
    for (endpoint, variable), curves in pooled.km_by_group.items():
        _, fig = figures[f"federated_km_{endpoint}_by_{variable}"]
        assert fig.axes[0].texts[0].get_text().startswith("log-rank p = ")
        # one row per group: its label, then its numbers at risk on the longest curve's days
        longest = max(curves.values(), key=lambda c: float(c.time[-1]))
        ticks = risk_ticks(longest)
        texts = [t.get_text() for t in fig.axes[1].texts]
        per_row = len(ticks) + 1
        assert len(texts) == per_row * len(curves)
        for row, curve in enumerate(curves.values()):
            n_risk = number_at_risk(curve, ticks).n_risk
            expected = ["<5" if 0 < n < 5 else str(int(n)) for n in n_risk]
            assert texts[row * per_row + 1 : (row + 1) * per_row] == expected
            suppressed += expected.count("<5")
        plt.close(fig)
    assert suppressed  # the cohort has groups with 1 to 4 at risk at some tick


def test_adverse_events_from_pooled_counts(
    pooled: SorafenibPooled, cohort: Cohort, central: pd.DataFrame
) -> None:
    # Table III over the union of the sites' rows, as `rwe analyze sorafenib` computes it, on
    # the protocol's terms (a site's own extra term is not counted).
    assert (cohort.adverse["term"] == OFF_PROTOCOL_TERM).any()
    rows = cohort.adverse
    rows = rows[rows["person_id"].isin(central["person_id"]) & rows["term"].isin(ae_terms())]
    table, numbers = adverse_events(rows, len(central))
    fed = pooled.adverse_events
    assert fed is not None
    assert fed.patients == len(central)
    assert set(fed.terms) == set(ae_terms())
    assert {t: c for t, c in fed.terms.items() if c[0]} == {
        t: (v["all_grades"], v["grade_3_or_more"]) for t, v in numbers.items()
    }
    severe = rows[rows["max_grade"] >= 3]
    assert fed.any_event == (rows["person_id"].nunique(), severe["person_id"].nunique())
    # The report's table is the single-site one when nothing is suppressed ...
    unsuppressed = results_json(pooled, min_cell=1)["table3"]
    pd.testing.assert_frame_equal(adverse_event_table(unsuppressed, 1), table)
    # ... and with min_cell 5 shows the counts of 1 to 4 as <5 (the cohort has some).
    small = [c for counts in fed.terms.values() for c in counts if 0 < c < 5]
    assert small
    released = results_json(pooled, min_cell=5)["table3"]
    shown = adverse_event_table(released, 5)
    cells = shown.iloc[:, 1:].to_numpy().ravel().tolist()
    assert cells.count("<5") == len(small)
