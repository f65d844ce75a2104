"""A patient's timeline as the FHIR resources a server would export at a cutoff, mess included."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rwe.synth import codes as c
from rwe.synth import fhir
from rwe.synth.cohort import DOSE_LEVELS, Timeline, Visit
from rwe.synth.fhir import Resource
from rwe.synth.mess import AE_SLOT, CONDITION_SLOT, Mess, PatientMess

DAY = 86400
NOON = 43200
ANALYTE_KEYS = ("wbc", "lym", "neu", "mon", "plt")
OBSERVATION_SLOT = {"ecog": 6, "resp": 7, "sld": 8, "atg": 9}  # CBC analytes: slots 1-5
CONDITION_KEYS = ("histology", *c.CHARACTERISTIC)
ANALYTE_CODES = tuple(fhir.ANALYTE_CODE[k] for k in ANALYTE_KEYS)
COUNT_UNIT = tuple({"unit": u, "system": c.UCUM, "code": u} for u, _ in c.COUNT_UNITS)
PERCENT_UNIT = {"unit": "%", "system": c.UCUM, "code": "%"}
AE_KEYS = tuple(c.ADVERSE_EVENT)
HAS_PERCENT = (False, True, True, True, False)
# Kinds of entry, for the increment: what may be amended or deleted without changing the truth.
ORDINARY, TREATMENT_LAB, TWIN = 0, 1, 2
_TWIN_CHARACTERISTICS = ("bone", "lung", "lymph-node", "symptomatic")
_TWIN_AES = ("interstitial-pneumonia", "gi-hemorrhage", "keratoacanthoma", "fatigue")


# (visit resource id, encounter reference, effectiveDateTime, visit, mess slots of the visit,
#  lastUpdated of its results)
_Context = tuple[str, dict[str, str], str, Visit, list[list[float]], int]


@dataclass(slots=True)
class Entry:
    resource: Resource
    final: bool  # False: the older version of a duplicate (the final one comes later)
    kind: int
    u: list[float]  # the record's mess uniforms


def lag(u: float) -> int:
    """Seconds between an event and its record's lastUpdated: 1 to 6 hours."""
    return 3600 + int(u * 18000)


class Renderer:
    """Renders timelines; resource ids are `<tag>-<patient number>-<event key>`."""

    def __init__(self, mess: Mess, tag: str) -> None:
        self.mess = mess
        self.tag = tag
        self.dup_rate = mess.config.duplicate_rate

    def patient_id(self, number: int) -> str:
        return f"{self.tag}-{number:06d}"

    def patient_mess(self, tl: Timeline) -> PatientMess:
        """The patient's mess uniforms; pass them to `render` and the truth for that patient."""
        return self.mess.for_patient(tl.number, len(tl.visits), len(tl.segments))

    def lab_forms(self, slots: list[list[float]]) -> list[tuple[int, list[float]]]:
        """(form, uniforms) of the 5 CBC analytes of a draw (`slots` of its visit): form -2
        absent, -1 percent, else the index of its unit in codes.COUNT_UNITS. A draw with a
        percentage keeps its WBC."""
        lab_form = self.mess.lab_form
        out = [
            (lab_form(slots[i][2], slots[i][3], HAS_PERCENT[i - 1]), slots[i]) for i in range(1, 6)
        ]
        if out[0][0] == -2 and any(form == -1 for form, _ in out):
            out[0] = (0, out[0][1])
        return out

    def render(self, tl: Timeline, cutoff: int, pm: PatientMess) -> list[Entry]:
        """Every resource of the patient as exported after `cutoff` (a date ordinal)."""
        r = _PatientRender(self, tl, cutoff, pm)
        r.patient()
        r.conditions()
        r.adverse_events()
        r.medication_statements()
        for v in tl.visits:
            if v.day > cutoff:
                break
            r.visit(v)
        return r.out + r.later


class _PatientRender:
    def __init__(self, renderer: Renderer, tl: Timeline, cutoff: int, pm: PatientMess) -> None:
        self.r = renderer
        self.mess = renderer.mess
        self.pm = pm
        self.tl = tl
        self.cutoff = cutoff
        self.pid = renderer.patient_id(tl.number)
        self.subject = {"reference": f"Patient/{self.pid}"}
        self.tz, self.tz_seconds, self.birth_precision = pm.tz, pm.tz_seconds, pm.birth_precision
        self.out: list[Entry] = []
        self.later: list[Entry] = []
        self.twin_rate = renderer.mess.config.error_rate + renderer.mess.config.cancel_rate

    def add(self, res: Resource, u: list[float], base_updated: int, kind: int = ORDINARY) -> None:
        """Append `res`; a duplicate goes in first as an older version, the final one later."""
        if u[1] < self.r.dup_rate:
            older = dict(res)
            older["meta"] = fhir.meta(base_updated)
            value = res.get("valueQuantity")
            if value is not None:  # the older version had another value: the newer one wins
                older["valueQuantity"] = {**value, "value": _perturbed(value["value"], u[7])}
            res["meta"] = fhir.meta(base_updated + 3600 + int(u[5] * 14400))
            self.out.append(Entry(older, False, kind, u))
            self.later.append(Entry(res, True, kind, u))
        else:
            self.out.append(Entry(res, True, kind, u))

    def patient(self) -> None:
        tl = self.tl
        u = self.pm.others[0]
        death = tl.death if tl.death is not None and tl.death <= self.cutoff else None
        deceased = None
        if death is not None:
            deceased = fhir.date_time(death, NOON, self.tz, self.tz_seconds)
        updated = (death or tl.diagnosis) * DAY + NOON + lag(u[4])
        birth = fhir.iso_date(tl.birth)[: self.birth_precision]
        res = fhir.patient(self.pid, updated, tl.female, birth, deceased, tl.race)
        self.add(res, u, updated)

    def conditions(self) -> None:
        tl = self.tl
        present = {key for key, _ in tl.characteristics}
        for key, onset in tl.characteristics:
            rid = f"{self.pid}-c-{key}"
            u = self.pm.others[CONDITION_SLOT + CONDITION_KEYS.index(key)]
            code = fhir.HISTOLOGY_CODE[tl.histology] if key == "histology" else None
            code = code or fhir.CHARACTERISTIC_CODE[key]
            updated = onset * DAY + NOON + lag(u[4])
            on = fhir.iso_date(onset)
            res = fhir.condition(rid, updated, self.subject, code, on, category=fhir.PROBLEM_LIST)
            self.add(res, u, updated)
            if self.mess.twin(u[0]) == "entered-in-error":
                if key == "histology":  # a wrong histology, entered in error
                    keys = list(fhir.HISTOLOGY_CODE)
                    wrong = fhir.HISTOLOGY_CODE[keys[(keys.index(tl.histology) + 1) % len(keys)]]
                else:
                    absent = [k for k in _TWIN_CHARACTERISTICS if k not in present]
                    if not absent:
                        continue
                    wrong = fhir.CHARACTERISTIC_CODE[absent[0]]
                twin = fhir.condition(
                    f"{rid}-x", updated, self.subject, wrong, on,
                    category=fhir.PROBLEM_LIST, entered_in_error=True,
                )  # fmt: skip
                self.out.append(Entry(twin, True, TWIN, u))

    def adverse_events(self) -> None:
        terms = {e.term for e in self.tl.adverse_events}
        for ae in self.tl.adverse_events:
            if ae.onset > self.cutoff:
                continue
            rid = f"{self.pid}-ae-{ae.term}"
            u = self.pm.others[AE_SLOT + AE_KEYS.index(ae.term)]
            abated = ae.abatement if ae.abatement and ae.abatement <= self.cutoff else None
            updated = (abated or ae.onset) * DAY + NOON + lag(u[4])
            category = fhir.PROBLEM_LIST if ae.problem_list else fhir.ENCOUNTER_DIAGNOSIS
            on = fhir.iso_date(ae.onset)
            res = fhir.condition(
                rid, updated, self.subject, fhir.AE_CODE[ae.term], on, category=category,
                abatement=fhir.iso_date(abated) if abated else None, grade=ae.grade,
            )  # fmt: skip
            self.add(res, u, updated)
            if self.mess.twin(u[0]) == "entered-in-error":
                wrong = next((t for t in _TWIN_AES if t not in terms), None)
                if wrong is not None:
                    twin_updated = ae.onset * DAY + NOON + lag(u[6])
                    twin = fhir.condition(
                        f"{rid}-x", twin_updated, self.subject, fhir.AE_CODE[wrong], on,
                        category=category, grade=3, entered_in_error=True,
                    )  # fmt: skip
                    self.out.append(Entry(twin, True, TWIN, u))

    def medication_statements(self) -> None:
        tl = self.tl
        for n, seg in enumerate(tl.segments):
            if seg.start > self.cutoff:
                break
            rid = f"{self.pid}-ms{n}"
            u = self.pm.segment(n)
            ended = seg.end is not None and seg.end <= self.cutoff
            status = ("stopped" if seg.reason else "completed") if ended else "active"
            reason = seg.reason if ended else None
            day = seg.end if ended and seg.end is not None else seg.start
            updated = day * DAY + NOON + lag(u[4])
            dose, per_day = DOSE_LEVELS[seg.level]
            start = fhir.iso_date(seg.start)
            end = fhir.iso_date(seg.end) if ended and seg.end is not None else None
            res = fhir.medication_statement(
                rid, updated, self.subject, status, reason, start, end, dose, per_day
            )
            self.add(res, u, updated)
            twin = self.mess.twin(u[0])
            if twin:
                status = "not-taken" if twin == "cancelled" else twin
                end = None
                if n == 0:  # a bogus earlier start: the index date must ignore it
                    first = seg.start - 5 - int(u[6] * 56)
                    start, end = fhir.iso_date(first), fhir.iso_date(first + int(u[7] * 4))
                twin_updated = seg.start * DAY + NOON + lag(u[6])
                res = fhir.medication_statement(
                    f"{rid}-x", twin_updated, self.subject, status, None, start, end, dose, per_day
                )
                self.out.append(Entry(res, True, TWIN, u))

    def visit(self, v: Visit) -> None:
        vid = f"{self.pid}-v{v.key}"
        slots = self.pm.visit(v.key)
        u = slots[0]
        tz, tzs = self.tz, self.tz_seconds
        start = fhir.date_time(v.day, v.second, tz, tzs)
        if v.discharge:
            done = v.discharge <= self.cutoff
            end = fhir.date_time(v.discharge, v.second + 1800, tz, tzs) if done else None
            updated = (v.discharge if done else v.day) * DAY + v.second + lag(u[4])
        else:
            done, end = True, fhir.date_time(v.day, v.second + 1800, tz, tzs)
            updated = v.day * DAY + v.second + lag(u[4])
        status = "finished" if done else "in-progress"
        res = fhir.encounter(vid, updated, self.subject, status, bool(v.discharge), start, end)
        self.add(res, u, updated)
        twin = self.mess.twin(u[0])
        twin_day = v.day + 1 + int(u[6] * 60)
        if twin and twin_day <= self.cutoff:  # e.g. a later appointment, cancelled
            t = fhir.date_time(twin_day, v.second, tz, tzs)
            twin_updated = twin_day * DAY + v.second + lag(u[6])
            res = fhir.encounter(f"{vid}-x", twin_updated, self.subject, twin, False, t, t)
            self.out.append(Entry(res, True, TWIN, u))
        # the visit's results are released together: one lastUpdated for all of them
        released = v.day * DAY + v.second + lag(slots[1][4])
        ctx = (vid, {"reference": f"Encounter/{vid}"}, start, v, slots, released)
        if v.cbc is not None:
            self.cbc(ctx, v.cbc)
        if v.ecog is not None:
            self.observe(ctx, "ecog", fhir.CATEGORY_EXAM, fhir.ECOG_CODE, "valueInteger", v.ecog)
        if v.response is not None:
            self.observe(
                ctx, "resp", fhir.CATEGORY_EXAM, fhir.RECIST_CODE, "valueCodeableConcept",
                fhir.RESPONSE[v.response],
            )  # fmt: skip
        if v.sld is not None:
            q = fhir.quantity(v.sld, "mm")
            self.observe(ctx, "sld", fhir.CATEGORY_EXAM, fhir.SLD_CODE, "valueQuantity", q)
        if v.anti_tg is not None:
            q = fhir.quantity(v.anti_tg, "[IU]/mL")
            self.observe(ctx, "atg", fhir.CATEGORY_LAB, fhir.ANTI_TG_CODE, "valueQuantity", q)

    def cbc(self, ctx: _Context, counts: tuple[int, ...]) -> None:
        """The 5 counts of a draw; the hot path of an export, so written out flat."""
        vid, enc, effective, v, slots, updated = ctx
        wbc = counts[0]
        kind = TREATMENT_LAB if v.day > self.tl.index else ORDINARY
        meta = {"lastUpdated": fhir.instant(updated)}
        subject, out, dup_rate, twin_rate = self.subject, self.out, self.r.dup_rate, self.twin_rate
        for i, (form, u) in enumerate(self.r.lab_forms(slots)):
            key = ANALYTE_KEYS[i]
            count = counts[i]
            if form == -2:
                code, value_key, value = ANALYTE_CODES[i], "dataAbsentReason", fhir.DATA_ABSENT
            elif form == -1:
                code, value_key = fhir.PERCENT_CODE[key], "valueQuantity"
                value = {"value": round(count * 100 / wbc, 1), **PERCENT_UNIT}
            else:
                code, value_key = ANALYTE_CODES[i], "valueQuantity"
                number = count if form == 2 else count / 1000
                value = {"value": number, **COUNT_UNIT[form]}
            res = {
                "resourceType": "Observation",
                "id": f"{vid}-{key}",
                "meta": meta,
                "status": "final",
                "category": fhir.CATEGORY_LAB,
                "code": code,
                "subject": subject,
                "encounter": enc,
                "effectiveDateTime": effective,
                value_key: value,
            }
            if u[1] < dup_rate:
                self.add(res, u, updated, kind)
            else:
                out.append(Entry(res, True, kind, u))
            if u[0] < twin_rate:
                twin = self.mess.twin(u[0])
                out.append(Entry(self.twin_observation(res, v, twin, u), True, TWIN, u))

    def observe(
        self, ctx: _Context, key: str, category: list[Any], code: dict[str, Any],
        value_key: str, value: Any,
    ) -> None:  # fmt: skip
        vid, enc, effective, v, slots, updated = ctx
        u = slots[OBSERVATION_SLOT[key]]
        res = fhir.observation(
            f"{vid}-{key}", updated, "final", category, code, self.subject, enc, effective,
            value_key, value,
        )  # fmt: skip
        if key == "atg":
            res["referenceRange"] = fhir.ANTI_TG_RANGE
        self.add(res, u, updated)
        twin = self.mess.twin(u[0])
        if twin:
            self.out.append(Entry(self.twin_observation(res, v, twin, u), True, TWIN, u))

    def twin_observation(self, res: Resource, v: Visit, status: str, u: list[float]) -> Resource:
        """A bogus record beside a real one, closer to the index date when before it."""
        day = v.day + int(u[6] * (self.tl.index - v.day + 1)) if v.day <= self.tl.index else v.day
        twin = dict(res)
        twin["id"] = res["id"] + "-x"
        twin["status"] = status
        twin.pop("encounter", None)
        twin["effectiveDateTime"] = fhir.date_time(day, v.second + 3600, self.tz, self.tz_seconds)
        twin["meta"] = fhir.meta(day * DAY + v.second + 3600 + lag(u[4]))
        if "valueQuantity" in res:
            q = res["valueQuantity"]
            twin["valueQuantity"] = {**q, "value": _perturbed(q["value"] * 10, u[7])}
        elif "valueCodeableConcept" in res:
            twin["valueCodeableConcept"] = fhir.RESPONSE["PD"]
        elif "valueInteger" in res:
            twin["valueInteger"] = min(4, res["valueInteger"] + 2)
        return twin


def _perturbed(value: float | int, u: float) -> float:
    """`value` changed by 5-15 % up or down (rounded like a lab would)."""
    factor = 1 + (0.05 + 0.1 * u) * (1 if u < 0.5 else -1)
    return round(value * factor, 2)
