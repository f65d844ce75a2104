"""Patient-level truth simulation: one latent timeline per patient, independent of the export."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from rwe.synth.calibration import LMR_CUTOFF, STOP_DELAY_DAYS, OutcomeModel, calibrate
from rwe.synth.presets import Arm, Preset

# Timelines run to the data cutoff plus this many days, whatever is exported, so an increment
# (`--increment-days` up to this) sees the very same patients and events.
HORIZON_DAYS = 365
# Dose levels: (mg per administration, administrations per day); 400 mg twice daily first.
DOSE_LEVELS: tuple[tuple[int, int], ...] = ((400, 2), (200, 2), (200, 1))
MAX_GAP_DAYS = 28  # interruptions stay under the 30-day persistence window


@dataclass(frozen=True)
class CohortConfig:
    """Cohort options that are not mess: shapes real data have."""

    no_baseline_rate: float = 0.05  # no CBC within 30 days before the index date
    short_course_rate: float = 0.05  # treated < 30 days (excluded by the study definition)


@dataclass(slots=True)
class Visit:
    """One visit day; its observations become Observations on one Encounter."""

    day: int  # date ordinal (UTC)
    second: int = 0  # seconds after midnight UTC (10:00-13:59)
    discharge: int = 0  # inpatient: discharge ordinal; 0 = ambulatory
    cbc: tuple[int, int, int, int, int] | None = None  # WBC, lymph, neut, mono, plt (cells/uL)
    ecog: int | None = None
    response: str | None = None  # RECIST CR/PR/SD/PD/NE
    sld: int | None = None  # sum of target-lesion diameters, mm
    anti_tg: float | None = None  # IU/mL
    key: int = 0  # stable visit number within the patient


@dataclass(slots=True)
class Segment:
    """A constant-dose stretch of sorafenib; `end` None = still running at the horizon."""

    start: int
    end: int | None
    level: int
    reason: str | None = None  # set on the last segment of a discontinued episode


@dataclass(slots=True)
class AdverseEvent:
    term: str
    onset: int
    grade: int
    abatement: int | None
    problem_list: bool


@dataclass(slots=True)
class Timeline:
    """Everything that happens to one patient up to the horizon (dates are ordinals)."""

    number: int
    arm: str
    histology: str
    female: bool
    birth: int
    race: str
    index: int
    diagnosis: int
    ecog: int
    anti_tg_positive: bool
    baseline_counts: tuple[int, int, int, int, int]
    lmr_high: bool
    death: int | None
    progression: int | None
    stop: int | None
    stop_reason: str | None
    short_course: bool
    responder: bool
    characteristics: list[tuple[str, int]] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    adverse_events: list[AdverseEvent] = field(default_factory=list)


class CohortSimulator:
    """Simulates timeline `i` of a preset from its own stream `PCG64([seed, i])`."""

    def __init__(self, preset: Preset, seed: int, config: CohortConfig) -> None:
        self.preset = preset
        self.seed = seed
        self.config = config
        self.models: dict[str, OutcomeModel] = {
            a.name: calibrate(a, preset.markers) for a in preset.arms
        }
        self.horizon = preset.data_cutoff.toordinal() + HORIZON_DAYS
        weights = np.array([a.weight for a in preset.arms])
        self._arm_cdf = np.cumsum(weights / weights.sum()).tolist()

    def simulate(self, number: int) -> Timeline:
        """The latent timeline of patient `number` (0-based)."""
        rng = _Draws(np.random.Generator(np.random.PCG64([self.seed, number])))
        u = [rng.u() for _ in range(32)]  # patient-level draws at fixed positions
        arm = self.preset.arms[_pick_index(self._arm_cdf, u[0])]
        start = self.preset.accrual_start.toordinal()
        index = start + int(u[1] * (self.preset.accrual_end.toordinal() - start + 1))
        age = min(max(arm.age_mean + arm.age_sd * _normal(u[2], u[3]), arm.age_min), arm.age_max)
        birth = index - int(age * 365.25) - int(u[4] * 365)
        counts = _baseline_counts(self.preset, rng)
        lmr_high = counts[1] / counts[3] >= LMR_CUTOFF
        locally_advanced = u[5] < arm.locally_advanced_rate
        diagnosis = index - _diagnosis_lag(locally_advanced, u[6], u[7])
        t = _Times(self, arm, lmr_high, u, index)
        tl = Timeline(
            number=number,
            arm=arm.name,
            histology=_pick(arm.histology, u[8]),
            female=u[9] < arm.female_rate,
            birth=birth,
            race=_pick(self.preset.race, u[10]),
            index=index,
            diagnosis=diagnosis,
            ecog=_pick_index(np.cumsum(arm.ecog).tolist(), u[11]),
            anti_tg_positive=u[12] < arm.anti_tg_positive_rate,
            baseline_counts=counts,
            lmr_high=lmr_high,
            death=t.death,
            progression=t.progression,
            stop=t.stop,
            stop_reason=t.reason,
            short_course=t.short_course,
            responder=u[13] < arm.response_rate,
        )
        tl.characteristics = _characteristics(arm, tl, locally_advanced, u[14:20], rng)
        tl.segments = _segments(tl, self.horizon, rng)
        tl.visits = _visits(self, arm, tl, rng, no_baseline=u[20] < self.config.no_baseline_rate)
        tl.adverse_events = _adverse_events(self.preset, tl, rng)
        return tl


class _Draws:
    """Uniform and standard-normal draws served from pools refilled from one patient's stream
    (scalar Generator calls cost ten times more)."""

    __slots__ = ("_rng", "_u", "_z")

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._u: list[float] = []
        self._z: list[float] = []

    def u(self) -> float:
        if not self._u:
            self._u = self._rng.random(256).tolist()[::-1]
        return self._u.pop()

    def normals(self, shape: tuple[int, int]) -> np.ndarray:
        """A block of standard normals straight from the stream."""
        return self._rng.standard_normal(shape)

    def z(self) -> float:
        if not self._z:
            self._z = self._rng.standard_normal(128).tolist()[::-1]
        return self._z.pop()


class _Times:
    """Death, progression and treatment stop of one patient from the arm's outcome model."""

    def __init__(
        self, sim: CohortSimulator, arm: Arm, lmr_high: bool, u: list[float], index: int
    ) -> None:
        model = sim.models[arm.name]
        limit = sim.horizon - index + 1  # beyond the horizon nothing is rendered
        hr = model.lmr_high_os_hr if lmr_high else 1.0
        t_death = model.os_scale * (-math.log(1 - u[21]) / hr) ** (1 / model.os_shape)
        t_prog = model.progression_scale * (-math.log(1 - u[22])) ** (1 / model.progression_shape)
        t_other = -math.log(1 - u[23]) / model.other_stop_rate if model.other_stop_rate else 1e9
        death = max(1, round(min(t_death, limit)))
        prog = max(1, round(min(t_prog, limit)))
        other = max(1, round(min(t_other, limit)))
        self.death = index + death if death < limit else None
        self.progression = index + prog if prog < limit and prog <= death else None
        self.short_course = u[24] < sim.config.short_course_rate
        delay = int(u[25] * (STOP_DELAY_DAYS + 1))
        lo, hi = sim.preset.short_course_days
        candidates = [(death, "death"), (prog + delay, "progression"), (other, "")]
        if self.short_course:
            candidates.append((lo + int(u[26] * (hi - lo + 1)), "short"))
        stop, reason = min(candidates, key=lambda c: c[0])
        if reason in ("", "short"):
            reason = _pick(arm.other_stop_reasons, u[27])
        self.stop = index + stop if stop < limit else None
        self.reason = reason if self.stop is not None else None


def _normal(u1: float, u2: float) -> float:
    """Box-Muller from two uniforms (keeps patient-level draws at fixed positions)."""
    return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)


def _pick_index(cdf: list[float], u: float) -> int:
    for i, c in enumerate(cdf):
        if u < c:
            return i
    return len(cdf) - 1


def _pick(weighted: tuple[tuple[str, float], ...], u: float) -> str:
    total = sum(w for _, w in weighted)
    acc = 0.0
    for key, w in weighted:
        acc += w / total
        if u < acc:
            return key
    return weighted[-1][0]


def _round_to(value: float, step: int, minimum: int) -> int:
    return max(minimum, round(value / step) * step)


def _baseline_counts(preset: Preset, rng: _Draws) -> tuple[int, int, int, int, int]:
    m = preset.markers
    z = [rng.z(), rng.z(), rng.z(), rng.z()]
    lymph = _round_to(m.alc_median * math.exp(m.alc_sigma * z[0]), 10, 100)
    neut = _round_to(lymph * m.nlr_median * math.exp(m.nlr_sigma * z[1]), 10, 100)
    plt = _round_to(lymph * m.plr_median * math.exp(m.plr_sigma * z[2]), 1000, 20000)
    mono = _round_to(lymph / (m.lmr_median * math.exp(m.lmr_sigma * z[3])), 10, 10)
    return _with_wbc(lymph, neut, mono, plt, m.other_leukocytes_fraction)


def _with_wbc(
    lymph: int, neut: int, mono: int, plt: int, other_fraction: float
) -> tuple[int, int, int, int, int]:
    other = _round_to((lymph + neut + mono) * other_fraction / (1 - other_fraction), 10, 0)
    return (lymph + neut + mono + other, lymph, neut, mono, plt)


def _noisy_counts(
    base: tuple[int, int, int, int, int], rng: _Draws, other_fraction: float, n: int
) -> list[tuple[int, int, int, int, int]]:
    """`n` later blood counts scattered around the baseline ones (vectorized: the CBC draws
    are most of a patient's resources)."""
    if n == 0:
        return []
    z = rng.normals((n, 4))
    lymph = np.maximum(np.rint(base[1] * np.exp(0.15 * z[:, 0]) / 10) * 10, 100)
    neut = np.maximum(np.rint(base[2] * np.exp(0.15 * z[:, 1]) / 10) * 10, 100)
    mono = np.maximum(np.rint(base[3] * np.exp(0.15 * z[:, 2]) / 10) * 10, 10)
    plt = np.maximum(np.rint(base[4] * np.exp(0.12 * z[:, 3]) / 1000) * 1000, 20000)
    cells = lymph + neut + mono
    other = np.maximum(np.rint(cells * other_fraction / (1 - other_fraction) / 10) * 10, 0)
    table = np.stack([cells + other, lymph, neut, mono, plt], axis=1).astype(np.int64).tolist()
    return [tuple(row) for row in table]


def _diagnosis_lag(locally_advanced: bool, u1: float, u2: float) -> int:
    if locally_advanced:  # treated soon after the diagnosis of unresectable disease
        return max(30, round(120 * math.exp(0.5 * _normal(u1, u2))))
    return max(180, round(6 * 365.25 * math.exp(0.6 * _normal(u1, u2))))


def _characteristics(
    arm: Arm, tl: Timeline, locally_advanced: bool, u: list[float], rng: _Draws
) -> list[tuple[str, int]]:
    """Baseline conditions (key, onset ordinal), all on or before the index date."""
    span = tl.index - tl.diagnosis
    out = [("histology", tl.diagnosis)]
    if locally_advanced:
        out.append(("locally-advanced", tl.diagnosis))
    else:
        out.append(("recurrence", tl.index - min(span - 1, int(30 + u[0] * 335))))
    rates = (("bone", arm.bone_rate), ("lung", arm.lung_rate))
    for (key, rate), draw in zip(
        (*rates, ("lymph-node", arm.lymph_node_rate)), u[1:4], strict=True
    ):
        if draw < rate:
            out.append((key, tl.index - int(rng.u() * span)))
    if u[4] < arm.symptomatic_rate:
        out.append(("symptomatic", tl.index - int(u[5] * 61)))
    return out


def _segments(tl: Timeline, horizon: int, rng: _Draws) -> list[Segment]:
    """Dose segments from the index date to the episode end (or past the horizon)."""
    end = tl.stop if tl.stop is not None else horizon + 1
    segments: list[Segment] = []
    start, level = tl.index, 0
    t = start
    while True:
        t += max(14, round(-150.0 * math.log(1.0 - rng.u())))
        if t >= end - 1:
            break
        kind = rng.u()
        if kind < 0.4:  # interruption: a gap of 3..28 days, resumed at the same or a lower dose
            gap = 3 + int(rng.u() * (MAX_GAP_DAYS - 2))
            if t + gap >= end - 1:
                continue
            segments.append(Segment(start, t, level))
            start, t = t + gap, t + gap
            if rng.u() < 0.5 and level < len(DOSE_LEVELS) - 1:
                level += 1
        elif kind < 0.85 and level < len(DOSE_LEVELS) - 1:  # reduction
            segments.append(Segment(start, t - 1, level))
            start, level = t, level + 1
        elif level > 0:  # re-escalation
            segments.append(Segment(start, t - 1, level))
            start, level = t, level - 1
    segments.append(Segment(start, tl.stop, level, tl.stop_reason))
    return segments


def _visits(
    sim: CohortSimulator, arm: Arm, tl: Timeline, rng: _Draws, *, no_baseline: bool
) -> list[Visit]:
    """Baseline, treatment, assessment, follow-up and terminal visits, one per day."""
    other = sim.preset.markers.other_leukocytes_fraction
    last = min(tl.death if tl.death is not None else sim.horizon, sim.horizon)
    episode_end = min(tl.stop if tl.stop is not None else sim.horizon, last)
    days: dict[int, Visit] = {}

    def visit(day: int) -> Visit:
        v = days.get(day)
        if v is None:
            v = days[day] = Visit(day, 36000 + int(rng.u() * 14400))
        return v

    base = tl.baseline_counts
    noisy: list[Visit] = []  # visits with a CBC drawn around the baseline counts
    k0 = 0 if rng.u() < 0.25 else 1 + int(rng.u() * 28)
    bv = visit(tl.index - k0)
    bv.ecog = tl.ecog
    bv.anti_tg = _anti_tg(tl.anti_tg_positive, rng)
    sld0 = max(10, round(45 * math.exp(0.5 * rng.z())))
    bv.sld = sld0
    visit(tl.index).ecog = tl.ecog
    if not no_baseline:
        bv.cbc = base
        if rng.u() < 0.3:
            noisy.append(visit(tl.index - k0 - 3 - int(rng.u() * 38)))
    elif rng.u() < 0.5:
        noisy.append(visit(tl.index - 31 - int(rng.u() * 30)))
    day = tl.index + 14
    while day <= episode_end:
        noisy.append(visit(day))
        step = 14 if day < tl.index + 56 else 25 + int(rng.u() * 7)
        day += step
    _assessments(tl, sld0, last, visit, rng, arm)
    if tl.stop is not None and tl.stop <= last:
        visit(tl.stop).ecog = tl.ecog
    if tl.death is not None and tl.death <= sim.horizon and rng.u() < 0.5:
        admission = max(tl.index + 1, tl.death - 1 - int(rng.u() * 10))
        v = visit(admission)
        v.discharge = tl.death
        if v.cbc is None:
            noisy.append(v)
    for v, counts in zip(noisy, _noisy_counts(base, rng, other, len(noisy)), strict=True):
        v.cbc = counts
    visits = sorted(days.values(), key=lambda v: v.day)
    for key, v in enumerate(visits):
        v.key = key
    return visits


def _assessments(
    tl: Timeline,
    sld0: int,
    last: int,
    visit: Callable[[int], Visit],
    rng: _Draws,
    arm: Arm,
) -> None:
    """RECIST assessments every 56-84 days until progression, then follow-up visits."""
    shrink = 0.30 + rng.u() * 0.35 if tl.responder else -0.10 + rng.u() * 0.35
    complete = tl.responder and rng.u() < arm.complete_response_share
    nadir = sld0
    day = tl.index + 56 + int(rng.u() * 29)
    progression = tl.progression if tl.progression is not None else last + 1
    while day < progression and day <= last:
        v = visit(day)
        v.ecog = tl.ecog
        if rng.u() < 0.02:
            v.response = "NE"
        else:
            s = shrink + 0.03 * rng.z()
            s = max(s, 0.30) if tl.responder else min(max(s, -0.15), 0.29)
            v.sld = 0 if complete else max(1, round(sld0 * (1 - s)))
            v.response = "CR" if complete else ("PR" if s >= 0.30 else "SD")
            nadir = min(nadir, v.sld)
        day += 56 + int(rng.u() * 29)
    if tl.progression is not None and tl.progression <= last:
        v = visit(tl.progression)
        v.response, v.ecog = "PD", min(tl.ecog + 1, 4)
        v.sld = max(round(nadir * (1.2 + 0.3 * rng.u())), nadir + 5)
        day = tl.progression + 56 + int(rng.u() * 29)
        while day <= last:
            visit(day).ecog = min(tl.ecog + 1, 4)
            day += 56 + int(rng.u() * 29)


def _anti_tg(positive: bool, rng: _Draws) -> float:
    if positive:
        return round(max(30.0, 120 * math.exp(0.8 * rng.z())), 1)
    return round(0.5 + rng.u() * 19.5, 1)


def _adverse_events(preset: Preset, tl: Timeline, rng: _Draws) -> list[AdverseEvent]:
    """AEs with onset and resolution on treatment visit days; an AE stop has a grade >= 3 AE."""
    end = tl.stop if tl.stop is not None else tl.index + 10**6
    on_treatment = [v.day for v in tl.visits if tl.index < v.day <= end]
    if not on_treatment:
        on_treatment = [v.day for v in tl.visits if v.day >= tl.index][:1] or [tl.index]
    later = [v.day for v in tl.visits if v.day > tl.index]
    events: list[AdverseEvent] = []
    for ae in preset.adverse_events:
        draws = [rng.u(), rng.u(), rng.u(), rng.u(), rng.u()]
        if draws[0] >= ae.rate:
            continue
        onset = _first_on_or_after(on_treatment, tl.index + round(-45 * math.log(1 - draws[1])))
        if draws[2] < ae.severe_share:
            grade = 3 if draws[3] < 0.9 else 4
        else:
            grade = 1 if draws[3] < 0.6 else 2
        abatement = _first_after(later, onset + 14 + int(draws[4] * 107))
        events.append(AdverseEvent(ae.term, onset, grade, abatement, draws[4] < 0.5))
    stop = tl.stop
    severe = any(e.grade >= 3 and stop is not None and e.onset <= stop for e in events)
    if tl.stop_reason == "adverse-event" and stop is not None and not severe:
        term = events[0].term if events else preset.adverse_events[0].term
        events = [e for e in events if e.term != term]
        events.insert(0, AdverseEvent(term, stop, 3, None, True))
    return events


def _first_on_or_after(days: list[int], day: int) -> int:
    """The first of the (sorted) visit days on or after `day`, else the last one."""
    for d in days:
        if d >= day:
            return d
    return days[-1]


def _first_after(days: list[int], day: int) -> int | None:
    """The first of the (sorted) visit days on or after `day`, None if there is none."""
    for d in days:
        if d >= day:
            return d
    return None
