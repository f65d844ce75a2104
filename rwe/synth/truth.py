"""Ground truth: the per-patient table (patients.csv) and the generating parameters (truth.json)."""

from __future__ import annotations

from datetime import date
from typing import Any

from rwe.synth.calibration import LMR_CUTOFF
from rwe.synth.cohort import Timeline
from rwe.synth.fhir import ANTI_TG_CUTOFF_IU_ML, iso_date
from rwe.synth.mess import PatientMess
from rwe.synth.render import Renderer

BASELINE_WINDOW_DAYS = 30
CUTOFFS = {"alc": 1500.0, "nlr": 3.0, "plr": 150.0, "lmr": LMR_CUTOFF}
SIX_MONTHS_DAYS = 6 * 30.4375
_RANK = {"CR": 4, "PR": 3, "SD": 2, "PD": 1, "NE": 0}

PATIENT_COLUMNS = (
    "person_id", "patient_number", "arm", "histology", "sex", "birth_date", "birth_date_written",
    "age_at_index", "race", "index_date", "included", "ecog_baseline", "locally_advanced",
    "recurrence", "bone_metastasis", "lung_metastasis", "lymph_node_metastasis", "symptomatic",
    "anti_tg_iu_ml", "anti_tg_positive", "baseline_wbc", "baseline_alc", "baseline_neutrophils",
    "baseline_monocytes", "baseline_platelets", "nlr", "plr", "lmr", "alc_high", "nlr_high",
    "plr_high", "lmr_high", "ttf_days", "ttf_event", "stop_reason", "episode_end_date",
    "pfs_days", "pfs_event", "progression_date", "os_days", "os_event", "death_date",
    "last_contact_date", "best_response", "clinical_benefit", "max_sld_reduction_pct",
    "n_dose_segments", "adverse_events",
)  # fmt: skip

DEFINITIONS = {
    "dates": "All dates are UTC dates; datetimes carry offsets that keep the local date.",
    "index_date": "Start of the earliest sorafenib MedicationStatement (status active, completed "
    "or stopped; entered-in-error and not-taken ignored).",
    "included": "0 when the episode was discontinued within 30 days of the index date "
    "(study exclusion: total treatment < 30 days).",
    "episode": "Sorafenib segments merged with a 30-day persistence window; interruptions are "
    "<= 28 days, so one episode per patient.",
    "ttf": "Index -> end of the last segment when that segment has status stopped (event = 1, "
    "any reason incl. death); otherwise censored at the cutoff (ttf_days = cutoff - index).",
    "pfs": "Index -> first RECIST PD (LOINC 88040-1, code PD) or death, whichever first "
    "(event = 1); otherwise censored at the last assessment with CR/PR/SD/PD (0 days if none).",
    "os": "Index -> death (Patient.deceasedDateTime, event = 1); otherwise censored at last "
    "contact.",
    "last_contact": "Latest date <= cutoff present in any valid record of the person (the end "
    "of its observation period): encounter start/end, observation, condition onset/abatement, "
    "MedicationStatement start/end. An active MedicationStatement (no end) or an in-progress "
    "encounter adds only its start. Cancelled / entered-in-error / not-taken records never "
    "count.",
    "baseline": "One complete blood count draw within [index - 30 days, index]: the nearest "
    "draw with lymphocytes, neutrophils, monocytes and platelets all valid, else the nearest "
    "draw with any of them (which gives what it has); valid = not cancelled, not "
    "entered-in-error, not dataAbsentReason; of duplicates (same id) the newer meta.lastUpdated "
    "wins; percentages times the same-draw WBC / 100. Counts in cells/uL, written unrounded.",
    "markers": "ALC = lymphocytes; NLR = neutrophils / lymphocytes; PLR = platelets / "
    "lymphocytes; LMR = lymphocytes / monocytes; high = value >= cutoff "
    "(ALC 1500, NLR 3, PLR 150, LMR 4).",
    "best_response": "Best of CR > PR > SD > PD > NE among RECIST assessments dated in "
    "(index, episode end] (episode end = cutoff when ongoing), up to and including the first "
    "PD (RECIST 1.1); empty when none.",
    "clinical_benefit": "1 when best response is CR or PR, or SD lasting > 182.625 days (6 "
    "months): from the index to the first PD <= cutoff, else to the last SD assessment counted "
    "for best_response.",
    "max_sld_reduction_pct": "(baseline SLD - smallest SLD in (index, episode end]) / baseline "
    "SLD * 100, rounded to 0.1; baseline = the SLD nearest before the index in [index - 30 "
    "days, index]; negative = growth only.",
    "anti_tg_positive": f"Anti-thyroglobulin antibody (LOINC 8098-6) >= {ANTI_TG_CUTOFF_IU_ML} "
    "IU/mL at the baseline visit.",
    "age_at_index": "Whole years from the written birth date (birth_date_written; a partial "
    "birthDate takes the first day of its year or month, as the ETL imputes it, §f2o-071) to "
    "the index date; birth_date is the true one.",
    "adverse_events": "term:max CTCAE grade of AE Conditions with onset <= cutoff, '|'-separated.",
}


def patient_row(renderer: Renderer, tl: Timeline, cutoff: int, pm: PatientMess) -> dict[str, Any]:
    """What a correct ETL + derivation recovers for this patient from an export at `cutoff`."""
    pid = renderer.patient_id(tl.number)
    precision = pm.birth_precision
    keys = {k for k, _ in tl.characteristics}
    row: dict[str, Any] = {
        "person_id": pid,
        "patient_number": tl.number,
        "arm": tl.arm,
        "histology": tl.histology,
        "sex": "female" if tl.female else "male",
        "birth_date": iso_date(tl.birth),
        "birth_date_written": iso_date(tl.birth)[:precision],
        "age_at_index": _age(_written_birth(tl.birth, precision), tl.index),
        "race": tl.race,
        "index_date": iso_date(tl.index),
        "ecog_baseline": tl.ecog,
        "locally_advanced": int("locally-advanced" in keys),
        "recurrence": int("recurrence" in keys),
        "bone_metastasis": int("bone" in keys),
        "lung_metastasis": int("lung" in keys),
        "lymph_node_metastasis": int("lymph-node" in keys),
        "symptomatic": int("symptomatic" in keys),
        "n_dose_segments": sum(1 for s in tl.segments if s.start <= cutoff),
    }
    anti_tg = next((v.anti_tg for v in tl.visits if v.anti_tg is not None), None)
    row["anti_tg_iu_ml"] = anti_tg
    row["anti_tg_positive"] = int(anti_tg is not None and anti_tg >= ANTI_TG_CUTOFF_IU_ML)
    row.update(_baseline(renderer, tl, pm))
    row.update(_outcomes(tl, cutoff))
    grades: dict[str, int] = {}
    for e in tl.adverse_events:
        if e.onset <= cutoff:
            grades[e.term] = max(grades.get(e.term, 0), e.grade)
    row["adverse_events"] = "|".join(f"{t}:{g}" for t, g in grades.items())
    return row


def _written_birth(birth: int, precision: int) -> int:
    """The birth date as the ETL reads the written birthDate: `1954` → 1954-01-01, `1954-03` →
    1954-03-01 (first-day imputation, §f2o-071); `precision` is the written length."""
    b = date.fromordinal(birth)
    if precision <= 4:
        b = b.replace(month=1, day=1)
    elif precision <= 7:
        b = b.replace(day=1)
    return b.toordinal()


def _age(birth: int, index: int) -> int:
    b, i = date.fromordinal(birth), date.fromordinal(index)
    return i.year - b.year - ((i.month, i.day) < (b.month, b.day))


def _baseline(renderer: Renderer, tl: Timeline, pm: PatientMess) -> dict[str, Any]:
    names = ("baseline_wbc", "baseline_alc", "baseline_neutrophils", "baseline_monocytes",
             "baseline_platelets")  # fmt: skip
    values: list[float | None] = [None] * 5
    draws = [v for v in tl.visits if v.cbc is not None and 0 <= tl.index - v.day <= 30]
    chosen: list[list[float | None]] = []
    for v in sorted(draws, key=lambda v: -v.day):
        assert v.cbc is not None
        forms = renderer.lab_forms(pm.visit(v.key))
        got: list[float | None] = [None] * 5
        for i, (form, _) in enumerate(forms):
            if form == -2:
                continue
            count = v.cbc[i]
            got[i] = round(count * 100 / v.cbc[0], 1) * v.cbc[0] / 100 if form == -1 else count
        if any(x is not None for x in got[1:]):
            chosen.append(got)
    complete = [g for g in chosen if all(x is not None for x in g[1:])]
    if complete or chosen:
        values = (complete or chosen)[0]  # nearest complete draw, else nearest partial one
    out: dict[str, Any] = {n: _num(x) for n, x in zip(names, values, strict=True)}
    _, lym, neu, mono, plt = values
    ratios = {
        "alc": lym,
        "nlr": neu / lym if neu is not None and lym else None,
        "plr": plt / lym if plt is not None and lym else None,
        "lmr": lym / mono if lym is not None and mono else None,
    }
    for name, value in ratios.items():
        if name != "alc":
            out[name] = _num(value)
        out[f"{name}_high"] = "" if value is None else int(value >= CUTOFFS[name] - 1e-9)
    return out


def _num(x: float | None) -> float | str:
    return "" if x is None else x


def _outcomes(tl: Timeline, cutoff: int) -> dict[str, Any]:
    last = tl.segments[-1]
    stopped = last.reason is not None and last.end is not None and last.end <= cutoff
    episode_end = last.end if stopped and last.end is not None else cutoff
    dead = tl.death is not None and tl.death <= cutoff
    out: dict[str, Any] = {
        "included": int(not (stopped and episode_end - tl.index < 30)),
        "ttf_days": episode_end - tl.index,
        "ttf_event": int(stopped),
        "stop_reason": last.reason if stopped else "",
        "episode_end_date": iso_date(episode_end) if stopped else "",
        "death_date": iso_date(tl.death) if dead and tl.death else "",
    }
    assessed = [v for v in tl.visits if v.response is not None and v.day <= cutoff]
    progression = tl.progression if tl.progression and tl.progression <= cutoff else None
    events = [d for d in (progression, tl.death if dead else None) if d is not None]
    if events:
        out["pfs_days"], out["pfs_event"] = min(events) - tl.index, 1
    else:
        adequate = [v.day for v in assessed if v.response != "NE"]
        out["pfs_days"], out["pfs_event"] = (max(adequate) - tl.index if adequate else 0), 0
    out["progression_date"] = iso_date(progression) if progression else ""
    contact = _last_contact(tl, cutoff)
    out["last_contact_date"] = iso_date(contact)
    if dead and tl.death is not None:
        out["os_days"], out["os_event"] = tl.death - tl.index, 1
    else:
        out["os_days"], out["os_event"] = contact - tl.index, 0
    on_episode = [v for v in tl.visits if tl.index < v.day <= min(episode_end, cutoff)]
    window = [v for v in on_episode if v.response is not None]
    first_pd = next((i for i, v in enumerate(window) if v.response == "PD"), None)
    if first_pd is not None:
        window = window[: first_pd + 1]
    best = max((v.response for v in window if v.response), key=_RANK.__getitem__, default="")
    out["best_response"] = best
    last_sd = max((v.day for v in window if v.response == "SD"), default=tl.index)
    sd_days = (progression if progression else last_sd) - tl.index
    out["clinical_benefit"] = int(
        best in ("CR", "PR") or (best == "SD" and sd_days > SIX_MONTHS_DAYS)
    )
    before = [v for v in tl.visits if v.sld is not None and 0 <= tl.index - v.day <= 30]
    base_sld = before[-1].sld if before else None
    slds = [v.sld for v in on_episode if v.sld is not None]
    if base_sld and slds:
        out["max_sld_reduction_pct"] = round((base_sld - min(slds)) / base_sld * 100, 1)
    else:
        out["max_sld_reduction_pct"] = ""
    return out


def _last_contact(tl: Timeline, cutoff: int) -> int:
    days = [tl.index]
    for v in tl.visits:
        if v.day > cutoff:
            break
        days.append(v.day)
        if v.discharge and v.discharge <= cutoff:
            days.append(v.discharge)
    for s in tl.segments:
        if s.start <= cutoff:
            days.append(s.end if s.end is not None and s.end <= cutoff else s.start)
    for e in tl.adverse_events:
        if e.onset <= cutoff:
            days.append(e.onset)
        if e.abatement is not None and e.abatement <= cutoff:
            days.append(e.abatement)
    return max(days)
