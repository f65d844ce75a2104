"""The "next night" export: what changed since the first export's transactionTime."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from hashlib import blake2b

from rwe.errors import BadInputError
from rwe.synth import fhir
from rwe.synth.cohort import HORIZON_DAYS
from rwe.synth.render import TREATMENT_LAB, TWIN, Entry

_UNPACK = struct.Struct("<3I").unpack


@dataclass(frozen=True)
class IncrementConfig:
    """Days between the two exports; rates of corrections and deletions in the second."""

    days: int = 1
    update_rate: float = 0.02  # of on-treatment lab results: amended with a corrected value
    delete_rate: float = 0.01  # of on-treatment lab results and bogus twin records: deleted

    def validate(self) -> None:
        if not 1 <= self.days <= HORIZON_DAYS:
            raise BadInputError(
                f"--increment-days is {self.days}", f"Give 1 to {HORIZON_DAYS} days."
            )
        for name in ("update_rate", "delete_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                option = "--" + name.replace("_", "-")
                raise BadInputError(f"{option} is {value}", "Give a rate between 0 and 1.")


def delta(
    base: list[Entry],
    new: list[Entry],
    config: IncrementConfig,
    since: int,
    until: int,
    seed: int,
) -> tuple[list[Entry], list[str]]:
    """Resources new or changed between the renders `base` and `new` of one patient, plus
    amendments and deletions (`Type/id`) made between `since` and `until` (seconds).

    Only on-treatment lab results and bogus twins are amended or deleted, so the truth of the
    second export follows from its cutoff alone (baseline values, responses and contact dates
    never change)."""
    before = {_key(e): e.resource for e in base if e.final}
    out: list[Entry] = []
    touched: set[tuple[str, str]] = set()
    for e in new:
        key = _key(e)
        old = before.get(key)
        if old is None:
            out.append(e)  # new, both versions if it is a duplicate
            touched.add(key)
        elif e.final and e.resource != old:
            out.append(e)
            touched.add(key)
    deleted: list[str] = []
    for e in base:
        key = _key(e)
        if not e.final or key in touched or e.kind not in (TREATMENT_LAB, TWIN):
            continue
        u = _uniforms(seed, key[1])
        if u[0] < config.delete_rate:
            deleted.append(f"{key[0]}/{key[1]}")
        elif e.kind == TREATMENT_LAB and u[1] < config.update_rate:
            quantity = e.resource.get("valueQuantity")
            if quantity is None:
                continue
            amended = dict(e.resource)
            amended["status"] = "amended"
            amended["valueQuantity"] = {**quantity, "value": round(quantity["value"] * 1.1, 2)}
            amended["meta"] = fhir.meta(since + 1 + int(u[2] * (until - since - 1)))
            out.append(Entry(amended, True, e.kind, e.u))
    return out, deleted


def _uniforms(seed: int, resource_id: str) -> tuple[float, float, float]:
    """Three uniforms from a keyed hash of the resource id: the increment's choices depend on
    the id only, never on the order of the export."""
    digest = blake2b(resource_id.encode(), digest_size=12, key=seed.to_bytes(8, "little"))
    a, b, c = _UNPACK(digest.digest())
    return a / 2**32, b / 2**32, c / 2**32


def _key(e: Entry) -> tuple[str, str]:
    return e.resource["resourceType"], e.resource["id"]
