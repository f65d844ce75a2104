"""Study presets: the published cohorts `rwe synth` is calibrated to (papers 004 and 000)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from rwe.errors import BadInputError


@dataclass(frozen=True)
class AdverseEventRate:
    """All-grade incidence of one AE term and the share of grade >= 3 among those with it."""

    term: str
    rate: float
    severe_share: float
    source: str = "assumed"


@dataclass(frozen=True)
class Arm:
    """A histology group with its own baseline distributions and outcome model."""

    name: str
    weight: float
    histology: tuple[tuple[str, float], ...]
    age_mean: float
    age_sd: float
    age_min: int
    age_max: int
    female_rate: float
    ecog: tuple[float, float, float]  # P(ECOG 0), P(1), P(2)
    locally_advanced_rate: float  # else recurrence
    bone_rate: float
    lung_rate: float
    lymph_node_rate: float
    symptomatic_rate: float
    anti_tg_positive_rate: float
    median_os_days: float
    os_shape: float
    lmr_high_os_hr: float  # hazard ratio of death, LMR >= 4 vs < 4
    # Progression is calibrated either to a median TTF (paper 004) or a median PFS (paper 000).
    calibrate_to: str  # "ttf" or "pfs"
    calibration_median_days: float
    progression_shape: float
    # Among discontinuations not caused by death: the share not caused by progression.
    other_stop_share: float
    other_stop_reasons: tuple[tuple[str, float], ...]
    # P(>= 30% shrinkage at the first assessment | assessed before progression).
    response_rate: float
    complete_response_share: float = 0.0


@dataclass(frozen=True)
class Markers:
    """Baseline blood-count distributions: lognormal medians and log-scale SDs."""

    alc_median: float = 1481.0
    alc_sigma: float = 0.40
    nlr_median: float = 2.06
    nlr_sigma: float = 0.50
    plr_median: float = 133.3
    plr_sigma: float = 0.45
    lmr_median: float = 5.37
    lmr_sigma: float = 0.55
    other_leukocytes_fraction: float = 0.04  # eosinophils + basophils, share of WBC


@dataclass(frozen=True)
class Preset:
    """A study preset: cohort composition, calendar, outcome models and published targets."""

    name: str
    description: str
    source: str
    default_patients: int
    accrual_start: date
    accrual_end: date
    data_cutoff: date
    arms: tuple[Arm, ...]
    adverse_events: tuple[AdverseEventRate, ...]
    targets: dict[str, Any]
    markers: Markers = field(default_factory=Markers)
    race: tuple[tuple[str, float], ...] = (("asian", 1.0),)
    short_course_days: tuple[int, int] = (7, 29)

    def to_json(self) -> dict[str, Any]:
        """Parameters as JSON-ready data (dates as ISO strings)."""
        data = asdict(self)
        for key in ("accrual_start", "accrual_end", "data_cutoff"):
            data[key] = data[key].isoformat()
        return data


_DTC_STOPS = (("adverse-event", 4 / 7), ("decision", 2 / 7), ("other", 1 / 7))

DTC_2021 = Preset(
    name="dtc-2021",
    description="Radioiodine-refractory DTC on sorafenib, single-centre retrospective (paper 004)",
    source="seeds/004: 26 RR-DTC patients, July 2014 - December 2020, cutoff 2021-05-31",
    default_patients=26,
    accrual_start=date(2014, 7, 1),
    accrual_end=date(2020, 12, 31),
    data_cutoff=date(2021, 5, 31),
    arms=(
        Arm(
            name="DTC",
            weight=1.0,
            histology=(
                ("papillary", 21 / 26),
                ("follicular", 4 / 26),
                ("poorly-differentiated", 1 / 26),
            ),
            age_mean=72.0,
            age_sd=8.5,
            age_min=45,
            age_max=90,
            female_rate=16 / 26,
            ecog=(18 / 26, 7 / 26, 1 / 26),
            locally_advanced_rate=6 / 26,
            bone_rate=11 / 26,
            lung_rate=23 / 26,
            lymph_node_rate=17 / 26,
            symptomatic_rate=11 / 26,
            anti_tg_positive_rate=7 / 26,
            median_os_days=2002.0,
            os_shape=2.0,  # high/low-LMR medians 2,560/1,173 d (paper: 2,327/1,346)
            lmr_high_os_hr=0.21,
            calibrate_to="ttf",
            calibration_median_days=543.0,
            progression_shape=1.2,
            # Paper 004: 11 progression, 4 AE, 3 other among 18 discontinuations.
            other_stop_share=7 / 18,
            other_stop_reasons=_DTC_STOPS,
            response_rate=0.125,
        ),
    ),
    adverse_events=(
        AdverseEventRate("hand-foot-skin-reaction", 0.923, 0.15, "paper 004"),
        AdverseEventRate("hypertension", 0.654, 0.10, "paper 004"),
        AdverseEventRate("alopecia", 0.385, 0.0, "paper 004"),
        AdverseEventRate("rash", 0.346, 0.05, "paper 004"),
        AdverseEventRate("anorexia", 0.308, 0.05, "paper 004"),
        AdverseEventRate("diarrhea", 0.25, 0.05),
        AdverseEventRate("fatigue", 0.20, 0.05),
        AdverseEventRate("hypothyroidism", 0.15, 0.0),
        AdverseEventRate("weight-loss", 0.15, 0.0),
        AdverseEventRate("proteinuria", 0.10, 0.05),
        AdverseEventRate("interstitial-pneumonia", 0.038, 1.0, "paper 004"),
        AdverseEventRate("keratoacanthoma", 0.038, 1.0, "paper 004"),
        AdverseEventRate("gi-hemorrhage", 0.02, 0.5),
    ),
    targets={
        "patients": 26,
        "median_age_years": 74,
        "median_ttf_days": 543,
        "median_ttf_ci_days": [355, 1882],
        "median_os_days": 2002,
        "median_os_ci_days": [985, None],
        "median_follow_up_days": 969,
        "orr": 0.115,
        "cbr": 0.808,
        "stop_reasons": {"progression": 11, "adverse-event": 4, "other": 3, "ongoing": 8},
        "lmr_high_vs_low_os_hr": 0.21,
        "lmr_high_vs_low_os_hr_ci": [0.05, 0.88],
        "median_os_lmr_high_days": 2327,
        "median_os_lmr_low_days": 1346,
        "marker_medians": {"alc": 1481, "nlr": 2.06, "plr": 133.3, "lmr": 5.37},
    },
)

_TRIAL_STOPS = (("adverse-event", 0.6), ("decision", 0.3), ("other", 0.1))

MTC_ATC_2017 = Preset(
    name="mtc-atc-2017",
    description="Sorafenib phase 2 in Japanese MTC and ATC patients (paper 000)",
    source="seeds/000: 8 MTC + 10 ATC, enrolled April - September 2014 (cutoff assumed)",
    default_patients=18,
    accrual_start=date(2014, 4, 1),
    accrual_end=date(2014, 9, 30),
    data_cutoff=date(2016, 3, 31),  # assumption: the paper does not state its cutoff
    arms=(
        Arm(
            name="MTC",
            weight=8 / 18,
            histology=(("medullary", 1.0),),
            age_mean=58.0,
            age_sd=12.0,
            age_min=25,
            age_max=85,
            female_rate=0.5,
            ecog=(0.6, 0.4, 0.0),
            locally_advanced_rate=0.25,
            bone_rate=0.4,
            lung_rate=0.5,
            lymph_node_rate=0.8,
            symptomatic_rate=0.3,
            anti_tg_positive_rate=0.0,
            # Paper 000: medians not reached; these are assumptions consistent with that.
            median_os_days=1800.0,
            os_shape=1.0,
            lmr_high_os_hr=1.0,
            calibrate_to="pfs",
            calibration_median_days=900.0,
            progression_shape=1.0,
            other_stop_share=0.3,
            other_stop_reasons=_TRIAL_STOPS,
            response_rate=0.27,
        ),
        Arm(
            name="ATC",
            weight=10 / 18,
            histology=(("anaplastic", 1.0),),
            age_mean=68.0,
            age_sd=9.0,
            age_min=40,
            age_max=88,
            female_rate=0.5,
            ecog=(0.3, 0.6, 0.1),
            locally_advanced_rate=0.4,
            bone_rate=0.3,
            lung_rate=0.7,
            lymph_node_rate=0.8,
            symptomatic_rate=0.7,
            anti_tg_positive_rate=0.0,
            median_os_days=5.0 * 30.4375,
            os_shape=1.3,
            lmr_high_os_hr=1.0,
            calibrate_to="pfs",
            calibration_median_days=2.8 * 30.4375,
            progression_shape=1.4,
            other_stop_share=0.2,
            other_stop_reasons=_TRIAL_STOPS,
            response_rate=0.0,
        ),
    ),
    adverse_events=(
        AdverseEventRate("hand-foot-skin-reaction", 0.72, 0.15, "paper 000"),
        AdverseEventRate("alopecia", 0.56, 0.0, "paper 000"),
        AdverseEventRate("hypertension", 0.56, 0.15, "paper 000"),
        AdverseEventRate("diarrhea", 0.44, 0.1, "paper 000"),
        AdverseEventRate("rash", 0.30, 0.05),
        AdverseEventRate("anorexia", 0.30, 0.05),
        AdverseEventRate("fatigue", 0.30, 0.1),
        AdverseEventRate("weight-loss", 0.20, 0.0),
        AdverseEventRate("hypothyroidism", 0.10, 0.0),
        AdverseEventRate("proteinuria", 0.10, 0.05),
        AdverseEventRate("gi-hemorrhage", 0.03, 0.5),
        AdverseEventRate("interstitial-pneumonia", 0.02, 1.0),
    ),
    targets={
        "patients": {"MTC": 8, "ATC": 10},
        "ATC": {"median_pfs_days": 2.8 * 30.4375, "median_os_days": 5.0 * 30.4375},
        "ATC_rates": {"orr": 0.0, "dcr": 0.40},
        "MTC": {"median_pfs_days": None, "median_os_days": None, "note": "not reached"},
        "MTC_rates": {"orr": 0.25, "dcr": 0.75},
        "adverse_event_rates": {
            "hand-foot-skin-reaction": 0.72,
            "alopecia": 0.56,
            "hypertension": 0.56,
            "diarrhea": 0.44,
        },
    },
)

PRESETS: dict[str, Preset] = {p.name: p for p in (DTC_2021, MTC_ATC_2017)}


def get_preset(name: str) -> Preset:
    """The preset called `name`; `BadInputError` naming the known presets otherwise."""
    try:
        return PRESETS[name]
    except KeyError:
        known = ", ".join(sorted(PRESETS))
        raise BadInputError(f"Unknown preset {name!r}", f"Use one of: {known}.") from None
