"""Build rwe/omop_mappings/seed_concept.csv from the vetted list in ../shared/vocab.

Run by hand when the vetted list changes: `python scripts/build_seed_vocabulary.py`.
Only rows whose concept_id is a verified integer and whose domain, vocabulary and class are
verified are kept (a placeholder there would break the CONCEPT foreign keys); an unverified
concept_code stays visible as the literal `UNVERIFIED`, as the vetted list asks.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "vocab" / "seed_concepts.csv"
TARGET = ROOT / "rwe" / "omop_mappings" / "seed_concept.csv"
FIELDS = [
    "concept_id",
    "concept_name",
    "domain_id",
    "vocabulary_id",
    "concept_class_id",
    "standard_concept",
    "concept_code",
]


def main() -> int:
    if not SOURCE.is_file():
        print(f"{SOURCE} not found: this script needs ../shared beside the repository")
        return 1
    kept = []
    with SOURCE.open(newline="") as fh:
        for row in csv.DictReader(fh):
            if not row["concept_id"].isdigit() or row["concept_id"] == "0":
                continue
            if any(
                "UNVERIFIED" in row[k] for k in ("domain_id", "vocabulary_id", "concept_class_id")
            ):
                continue
            if "UNVERIFIED" in row["standard_concept"]:
                continue
            out = {k: row[k] for k in FIELDS}
            if "UNVERIFIED" in out["concept_code"]:
                out["concept_code"] = "UNVERIFIED"
            kept.append(out)
    kept.sort(key=lambda r: int(r["concept_id"]))
    with TARGET.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(kept)
    print(f"wrote {len(kept)} concepts to {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
