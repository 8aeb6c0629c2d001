"""Small hand-made extracts for page tests: people and proven offences written out row by row."""

from __future__ import annotations

import datetime as dt

from yot.extract import Extract, make_extract

D = dt.date


def person(pid: str, born: dt.date = D(1990, 6, 1), sex: str = "M", ethnicity: str = "White", yot: str = "Testville") -> dict:
    return {"person_id": pid, "date_of_birth": born, "sex": sex, "ethnicity": ethnicity, "yot": yot}


def offence(oid: str, pid: str, committed: dt.date, proven: dt.date, outcome: str = "fine",
            offence_type: str = "theft", gravity: int = 3, release: dt.date | None = None) -> dict:
    return {"offence_id": oid, "person_id": pid, "offence_date": committed, "outcome_date": proven,
            "offence_type": offence_type, "gravity": gravity, "outcome": outcome, "release_date": release}


def cohort_extract(year: int, size: int, reoffenders: int, *, prefix: str = "", sexes: tuple[str, ...] = ("M",),
                   **tables: object) -> tuple[list[dict], list[dict]]:
    """``size`` young people proven on 1 March of ``year`` (aged 14), the first ``reoffenders`` of whom
    commit a further theft on 1 June, proven on 1 July: each reoffends once."""
    people, offences = [], []
    for i in range(size):
        pid = f"{prefix}{year}P{i:03d}"
        people.append(person(pid, D(year - 14, 1, 1), sex=sexes[i % len(sexes)]))
        offences.append(offence(f"{pid}-1", pid, D(year, 2, 1), D(year, 3, 1)))
        if i < reoffenders:
            offences.append(offence(f"{pid}-2", pid, D(year, 6, 1), D(year, 7, 1)))
    return people, offences


def extract_of(*parts: tuple[list[dict], list[dict]], **tables: object) -> Extract:
    people = [p for ps, _ in parts for p in ps]
    offences = [o for _, os in parts for o in os]
    return make_extract(people=people, offences=offences, **tables)
