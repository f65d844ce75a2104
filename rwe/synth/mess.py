"""The mess real exports have, at configurable rates, decided per patient from its own stream."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np

from rwe.errors import BadInputError

# Offsets within +-9 h: visit times are 10:00-13:59 UTC, so the local date equals the UTC date.
TZ_OFFSETS: tuple[tuple[str, int], ...] = (
    ("+09:00", 9 * 3600),
    ("-05:00", -5 * 3600),
    ("-04:00", -4 * 3600),
    ("+01:00", 3600),
    ("+02:00", 2 * 3600),
    ("+05:30", 5 * 3600 + 1800),
    ("-08:00", -8 * 3600),
    ("+00:00", 0),
)


@dataclass(frozen=True)
class MessConfig:
    """Rates of each kind of mess; `MessConfig.clean()` has none."""

    unit_rate: float = 0.20  # cell counts in 10*9/L or /uL instead of 10*3/uL
    percent_rate: float = 0.10  # differential counts as % with the same-draw WBC
    absent_rate: float = 0.02  # lab values missing, with dataAbsentReason
    error_rate: float = 0.01  # extra entered-in-error twin of a record
    cancel_rate: float = 0.01  # extra cancelled (not-taken) twin of a record
    duplicate_rate: float = 0.01  # same id again, later in the file, newer lastUpdated
    partial_birth_rate: float = 0.10  # birthDate as YYYY or YYYY-MM
    tz_rate: float = 0.30  # patients whose datetimes carry a non-Z UTC offset

    @classmethod
    def clean(cls) -> MessConfig:
        """No mess at all."""
        return cls(**{f.name: 0.0 for f in fields(cls)})

    def validate(self) -> None:
        """`BadInputError` unless every rate is in [0, 1] and exclusive rates sum to <= 1."""
        for name, value in asdict(self).items():
            if not 0.0 <= value <= 1.0:
                option = "--" + name.replace("_", "-")
                raise BadInputError(f"{option} is {value}", "Give a rate between 0 and 1.")
        if self.unit_rate + self.percent_rate + self.absent_rate > 1.0:
            raise BadInputError(
                "--unit-rate + --percent-rate + --absent-rate exceed 1",
                "They split the lab values between them: lower them.",
            )
        if self.error_rate + self.cancel_rate > 1.0:
            raise BadInputError("--error-rate + --cancel-rate exceed 1", "Lower them.")


# Per-patient mess uniforms, by stable slot so that any export of the same patient (first or
# next-night) decides the same. Slot width: 0 twin, 1 duplicate, 2 lab form, 3 unit, 4 lag,
# 5 duplicate lag, 6 twin timing, 7 value perturbation.
SLOT_WIDTH = 8
VISIT_SLOTS = 10  # encounter, wbc, lym, neu, mon, plt, ecog, resp, sld, atg
PATIENT_SLOTS = 32  # 0 Patient, 1 patient-level mess, 2.. conditions, 16.. adverse events
CONDITION_SLOT = 2
AE_SLOT = 16


class Mess:
    """Mess decisions from per-patient uniform streams `PCG64([seed, patient, 1])`."""

    def __init__(self, config: MessConfig, seed: int) -> None:
        self.config = config
        self.seed = seed
        c = config
        self._absent = c.absent_rate
        self._percent = c.absent_rate + c.percent_rate
        self._unit = self._percent + c.unit_rate

    def for_patient(self, number: int, n_visits: int, n_segments: int) -> PatientMess:
        """The uniforms of one patient (depend on its timeline's shape, not on the cutoff)."""
        rng = np.random.Generator(np.random.PCG64([self.seed, number, 1]))
        n = n_visits * VISIT_SLOTS
        rows = rng.random((n + PATIENT_SLOTS + n_segments, SLOT_WIDTH))
        visits = rows[:n].reshape(n_visits, VISIT_SLOTS, SLOT_WIDTH)  # as Python floats on use
        others = rows[n:].tolist()
        u = others[1]
        tz, seconds = ("Z", 0)
        if u[0] < self.config.tz_rate:
            tz, seconds = TZ_OFFSETS[int(u[3] * len(TZ_OFFSETS))]
        precision = 10
        if u[1] < self.config.partial_birth_rate:
            precision = 4 if u[2] < 0.5 else 7
        return PatientMess(visits, others, tz, seconds, precision)

    def twin(self, u: float) -> str:
        """'' or the status of an extra bogus twin record: entered-in-error or cancelled."""
        if u < self.config.error_rate:
            return "entered-in-error"
        if u < self.config.error_rate + self.config.cancel_rate:
            return "cancelled"
        return ""

    def lab_form(self, u: float, u_unit: float, has_percent: bool) -> int:
        """-2 absent, -1 percent, else an index into codes.COUNT_UNITS."""
        if u < self._absent:
            return -2
        if u < self._percent:
            return -1 if has_percent else 0
        if u < self._unit:
            return 1 if u_unit < 0.5 else 2
        return 0


@dataclass(slots=True)
class PatientMess:
    """Uniforms by slot: `visit(key)[slot]`, `others[slot]` (segments after PATIENT_SLOTS);
    the patient's UTC offset and birth-date precision (4, 7 or 10 characters)."""

    visits: np.ndarray
    others: list[list[float]]
    tz: str
    tz_seconds: int
    birth_precision: int

    def visit(self, key: int) -> list[list[float]]:
        """The slots of one visit (converted on demand: visits after the cutoff never are)."""
        rows: list[list[float]] = self.visits[key].tolist()
        return rows

    def segment(self, n: int) -> list[float]:
        return self.others[PATIENT_SLOTS + n]
