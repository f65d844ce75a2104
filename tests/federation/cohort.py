"""One synthetic sorafenib cohort (numpy), split across three sites, written to `study` tables."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import psycopg

from rwe.federation.protocol import ae_terms

SITE_SIZES = {"site-a": 70, "site-b": 55, "site-c": 45}

STUDY_DDL = """
CREATE SCHEMA IF NOT EXISTS study;
CREATE TABLE study.sorafenib_outcome (
    person_id BIGINT PRIMARY KEY, included BOOLEAN NOT NULL,
    ttf_days INTEGER NOT NULL, ttf_event SMALLINT NOT NULL,
    pfs_days INTEGER NOT NULL, pfs_event SMALLINT NOT NULL,
    os_days INTEGER NOT NULL, os_event SMALLINT NOT NULL);
CREATE TABLE study.baseline_marker (
    person_id BIGINT PRIMARY KEY, complete BOOLEAN NOT NULL,
    alc DOUBLE PRECISION, nlr DOUBLE PRECISION, plr DOUBLE PRECISION, lmr DOUBLE PRECISION);
CREATE TABLE study.sorafenib_characteristic (
    person_id BIGINT PRIMARY KEY, age_at_index INTEGER, sex TEXT NOT NULL,
    histology_group TEXT);
CREATE TABLE study.sorafenib_response (
    person_id BIGINT PRIMARY KEY, orr BOOLEAN NOT NULL, dcr BOOLEAN NOT NULL,
    cbr BOOLEAN NOT NULL);
CREATE TABLE study.sorafenib_adverse_event (
    person_id BIGINT NOT NULL, term TEXT NOT NULL, max_grade INTEGER,
    PRIMARY KEY (person_id, term));
"""
# A term the protocol does not know (a site's own concept set grew): never counted.
OFF_PROTOCOL_TERM = "nausea"


@dataclass
class Cohort:
    """All persons of the network; `site` says where each one lives."""

    frame: pd.DataFrame
    # one row per person and term: person_id, term, max_grade (None: no grade recorded)
    adverse: pd.DataFrame

    def at(self, site: str) -> pd.DataFrame:
        return self.frame[self.frame["site"] == site]

    def adverse_at(self, site: str) -> pd.DataFrame:
        return self.adverse[self.adverse["person_id"].isin(self.at(site)["person_id"])]

    def analysis(self) -> pd.DataFrame:
        """Included persons with the derived groups, as the protocol sees them."""
        f = self.frame[self.frame["included"]].copy()
        for marker, cutoff in (("alc", 1500), ("nlr", 3), ("plr", 150), ("lmr", 4)):
            f[marker + "_group"] = np.where(
                f[marker].isna(), None, np.where(f[marker] >= cutoff, "high", "low")
            )
            f[marker + "_high"] = (f[marker] >= cutoff).astype(float).where(f[marker].notna())
        f["male"] = (f["sex"] == "male").astype(float)
        f["dcr_level"] = np.where(f["dcr"], "yes", "no")
        return f


def make_cohort(seed: int = 20240508) -> Cohort:
    """Integer-day survival times with ties, markers with a few missing, three histologies."""
    rng = np.random.default_rng(seed)
    rows = []
    person = 0
    for site, size in SITE_SIZES.items():
        for _ in range(size):
            person += 1
            alc = float(np.round(rng.lognormal(np.log(1400), 0.4)))
            nlr = float(np.round(rng.lognormal(np.log(2.3), 0.5), 2))
            hazard = 1 / 500 * (1.6 if nlr >= 3 else 1.0) * (0.7 if alc >= 1500 else 1.0)
            os_true = rng.exponential(1 / hazard)
            censor = rng.uniform(200, 1500)
            ttf_true = min(os_true, rng.exponential(1 / (2.5 * hazard)))
            pfs_true = min(os_true, rng.exponential(1 / (1.8 * hazard)))
            rows.append(
                {
                    "person_id": person,
                    "site": site,
                    "included": bool(rng.uniform() > 0.06),
                    # Coarse (weekly-rounded) days make tied times, as real data has.
                    "ttf_days": int(np.ceil(min(ttf_true, censor) / 7) * 7),
                    "ttf_event": int(ttf_true <= censor),
                    "pfs_days": int(np.ceil(min(pfs_true, censor) / 3) * 3),
                    "pfs_event": int(pfs_true <= censor),
                    "os_days": int(np.ceil(min(os_true, censor))),
                    "os_event": int(os_true <= censor),
                    "alc": None if rng.uniform() < 0.05 else alc,
                    "nlr": nlr,
                    "plr": float(np.round(rng.lognormal(np.log(140), 0.4), 1)),
                    "lmr": float(np.round(rng.lognormal(np.log(4.5), 0.4), 2)),
                    "age": int(rng.integers(38, 85)),
                    "sex": "male" if rng.uniform() < 0.45 else "female",
                    "histology": rng.choice(["DTC", "MTC", "ATC"], p=[0.7, 0.18, 0.12]),
                    "dcr": bool(rng.uniform() < 0.6),
                }
            )
    frame = pd.DataFrame(rows)
    frame["orr"] = frame["dcr"] & (np.random.default_rng(seed + 1).uniform(size=len(frame)) < 0.4)
    frame["cbr"] = frame["dcr"]
    return Cohort(frame, make_adverse_events(frame["person_id"].tolist(), seed + 2))


def make_adverse_events(persons: list[int], seed: int) -> pd.DataFrame:
    """Common, uncommon and rare terms (some pooled counts below 5), grades 1-4 or none."""
    rng = np.random.default_rng(seed)
    terms = [*ae_terms(), OFF_PROTOCOL_TERM]
    chance = {t: (0.45, 0.2, 0.1, 0.02)[i % 4] for i, t in enumerate(terms)}
    rows = [
        {
            "person_id": person,
            "term": term,
            "max_grade": None if rng.uniform() < 0.1 else int(rng.integers(1, 5)),
        }
        for person in persons
        for term in terms
        if rng.uniform() < chance[term]
    ]
    return pd.DataFrame(rows, columns=["person_id", "term", "max_grade"])


def load_site(conn: psycopg.Connection, rows: pd.DataFrame, adverse: pd.DataFrame) -> None:
    """Create the study tables the protocol reads and fill them with one site's persons."""
    conn.execute(STUDY_DDL)
    with conn.cursor() as cur, cur.copy("COPY study.sorafenib_adverse_event FROM STDIN") as copy:
        for r in adverse.itertuples():
            grade = None if pd.isna(r.max_grade) else int(r.max_grade)
            copy.write_row((int(r.person_id), r.term, grade))
    for r in rows.itertuples():
        complete = r.alc is not None and not pd.isna(r.alc)
        conn.execute(
            "INSERT INTO study.sorafenib_outcome VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (
                r.person_id,
                r.included,
                r.ttf_days,
                r.ttf_event,
                r.pfs_days,
                r.pfs_event,
                r.os_days,
                r.os_event,
            ),
        )
        conn.execute(
            "INSERT INTO study.baseline_marker VALUES (%s, %s, %s, %s, %s, %s)",
            (r.person_id, complete, None if not complete else r.alc, r.nlr, r.plr, r.lmr),
        )
        conn.execute(
            "INSERT INTO study.sorafenib_characteristic VALUES (%s, %s, %s, %s)",
            (r.person_id, r.age, r.sex, r.histology),
        )
        conn.execute(
            "INSERT INTO study.sorafenib_response VALUES (%s, %s, %s, %s)",
            (r.person_id, r.orr, r.dcr, r.cbr),
        )
