"""Outcome models calibrated to a preset's published medians (Weibull proportional hazards)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from rwe.synth.presets import Arm, Markers

LMR_CUTOFF = 4.0
# A stop for progression happens 0..STOP_DELAY_DAYS days after the PD assessment.
STOP_DELAY_DAYS = 14
MIN_TREATMENT_DAYS = 30


@dataclass(frozen=True)
class OutcomeModel:
    """Latent-time model of one arm: S(t) = exp(-(t/scale)^shape * hr) for death and progression,
    a constant hazard for stops for other reasons (adverse event, decision, other)."""

    arm: str
    os_scale: float
    os_shape: float
    lmr_high_os_hr: float
    lmr_high_share: float
    progression_scale: float
    progression_shape: float
    other_stop_rate: float  # per day

    def os_survival(self, t: float, lmr_high: bool | None = None) -> float:
        """S_OS(t) for one LMR group, or the cohort mixture when `lmr_high` is None."""
        base = (max(t, 0.0) / self.os_scale) ** self.os_shape
        high = math.exp(-base * self.lmr_high_os_hr)
        low = math.exp(-base)
        if lmr_high is None:
            return self.lmr_high_share * high + (1 - self.lmr_high_share) * low
        return high if lmr_high else low

    def progression_survival(self, t: float) -> float:
        """P(no progression by t) for the latent progression time."""
        if t <= 0:
            return 1.0
        return math.exp(-((t / self.progression_scale) ** self.progression_shape))

    def pfs_survival(self, t: float) -> float:
        """PFS = first of progression and death."""
        return self.progression_survival(t) * self.os_survival(t)

    def ttf_survival(self, t: float) -> float:
        """TTF = first of (progression + stop delay), other stop and death."""
        delayed = sum(self.progression_survival(t - d) for d in range(STOP_DELAY_DAYS + 1))
        delayed /= STOP_DELAY_DAYS + 1
        return delayed * math.exp(-self.other_stop_rate * t) * self.os_survival(t)

    def expected_medians(self) -> dict[str, float]:
        """Medians (days) of the generating distributions, what a large cohort's KM recovers."""
        return {
            "os": round(_median(self.os_survival), 1),
            "os_lmr_high": round(_median(lambda t: self.os_survival(t, True)), 1),
            "os_lmr_low": round(_median(lambda t: self.os_survival(t, False)), 1),
            "pfs": round(_median(self.pfs_survival), 1),
            "ttf": round(_median(self.ttf_survival), 1),
            # among patients whose episode lasts >= 30 days (the study's inclusion)
            "ttf_treated_30_days": round(
                _median(lambda t: self.ttf_survival(t) / self.ttf_survival(MIN_TREATMENT_DAYS)), 1
            ),
        }


def lmr_high_share(markers: Markers) -> float:
    """P(LMR >= 4) under the lognormal LMR distribution."""
    z = (math.log(LMR_CUTOFF) - math.log(markers.lmr_median)) / markers.lmr_sigma
    return 1.0 - 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def calibrate(arm: Arm, markers: Markers) -> OutcomeModel:
    """Solve the Weibull scales so the mixture medians equal the arm's published medians."""
    share = lmr_high_share(markers)
    hr = arm.lmr_high_os_hr
    # x = (median/scale)^shape solves share*exp(-x*hr) + (1-share)*exp(-x) = 1/2.
    x = _bisect(lambda v: share * math.exp(-v * hr) + (1 - share) * math.exp(-v) - 0.5, 0, 50)
    os_scale = arm.median_os_days / x ** (1 / arm.os_shape)
    model = OutcomeModel(arm.name, os_scale, arm.os_shape, hr, share, 1.0, 1.0, 0.0)
    m = arm.calibration_median_days
    q = arm.other_stop_share
    early = 0.0  # a TTF median counts patients treated >= 30 days only (paper 004's exclusion)
    for _ in range(8):  # fixed point: the hazard before day 30 depends on the scales solved
        remaining = math.log(2) + early + math.log(model.os_survival(m))  # left for the others
        if remaining <= 0:
            raise ValueError(f"arm {arm.name}: median OS must exceed the calibration median")
        if arm.calibrate_to == "ttf":
            progression_hazard = (1 - q) * remaining
            other_rate = q * remaining / m
            target = m - STOP_DELAY_DAYS / 2  # the stop delay lengthens TTF by about half of it
        else:
            progression_hazard = remaining
            other_rate = q / (1 - q) * remaining / m
            target = m
        progression_scale = target / progression_hazard ** (1 / arm.progression_shape)
        model = OutcomeModel(
            arm.name, os_scale, arm.os_shape, hr, share, progression_scale,
            arm.progression_shape, other_rate,
        )  # fmt: skip
        if arm.calibrate_to != "ttf":
            break
        early = -math.log(model.ttf_survival(MIN_TREATMENT_DAYS))
    return model


def _median(survival: Callable[[float], float]) -> float:
    return _bisect(lambda t: survival(t) - 0.5, 0.0, 1e6, decreasing=True)


def _bisect(f: Callable[[float], float], lo: float, hi: float, *, decreasing: bool = True) -> float:
    """Root of a monotone function on [lo, hi]."""
    for _ in range(200):
        mid = (lo + hi) / 2
        above = f(mid) > 0
        if above == decreasing:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2
