"""A small, fully valid directory of every contract table, for tests to write and then break.

Rows are the text a file holds (blank: not recorded). Every reference resolves, every row rule
holds, and the rows cover both sides of each rule (a school and a non-school source, an open and
a closed referral, held, rescheduled and cancelled sessions).
"""

from __future__ import annotations

import copy
import csv
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from threshold.model.contract import TABLES

Row = dict[str, str]

_VALID: dict[str, list[Row]] = {
    "local_authorities": [
        {"la_code": "981", "la_name": "Northshire", "region": "North West"},
        {"la_code": "982", "la_name": "Southshire", "region": ""},
    ],
    "data_gaps": [
        {
            "la_code": "982",
            "school_year": "2021/22",
            "gap": "referral_outcomes",
            "reason": "Outcomes were not recorded before the new case system.",
        },
    ],
    "schools": [
        {
            "urn": "100001",
            "name": "Northshire Primary, Ashby",
            "la_code": "981",
            "phase": "primary",
            "establishment_type": "community",
            "town": "Ashby",
            "postcode": "NS1 2AB",
            "pupils_on_roll": "250",
            "pct_fsm": "23.5",
            "pct_eal": "10",
            "pct_sen_support": "12.25",
            "urban_rural": "urban",
            "ofsted_rating": "good",
        },
        {
            "urn": "100002",
            "name": "Southshire Academy",
            "la_code": "982",
            "phase": "secondary",
            "establishment_type": "",
            "town": "",
            "postcode": "",
            "pupils_on_roll": "",
            "pct_fsm": "",
            "pct_eal": "",
            "pct_sen_support": "",
            "urban_rural": "",
            "ofsted_rating": "",
        },
    ],
    "contacts": [
        {
            "cont_contact_id": "C1",
            "cont_person_id": "P001",
            "cont_la_code": "981",
            "cont_contact_date": "2021-10-04",
            "cont_contact_source_code": "2A",
            "cont_source_school_urn": "100001",
            "cont_source_school_name": "Northshire Primary",
            "cont_child_school_urn": "100001",
            "cont_contact_outcome": "referral",
        },
        {
            "cont_contact_id": "C2",
            "cont_person_id": "P002",
            "cont_la_code": "982",
            "cont_contact_date": "2021-11-15",
            "cont_contact_source_code": "6",
            "cont_source_school_urn": "",
            "cont_source_school_name": "",
            "cont_child_school_urn": "100002",
            "cont_contact_outcome": "nfa",
        },
    ],
    "referrals": [
        {
            "cine_referral_id": "R1",
            "cine_contact_id": "C1",
            "cine_person_id": "P001",
            "cine_la_code": "981",
            "cine_referral_date": "2021-10-05",
            "cine_referral_source_code": "2A",
            "cine_source_school_urn": "100001",
            "cine_child_school_urn": "100001",
            "cine_referral_outcome": "child_in_need",
            "cine_close_date": "2021-12-01",
        },
        {
            "cine_referral_id": "R2",
            "cine_contact_id": "",
            "cine_person_id": "P002",
            "cine_la_code": "982",
            "cine_referral_date": "2022-01-10",
            "cine_referral_source_code": "6",
            "cine_source_school_urn": "",
            "cine_child_school_urn": "100002",
            "cine_referral_outcome": "open",
            "cine_close_date": "",
        },
    ],
    "allocations": [
        {
            "urn": "100001",
            "block": "981-high",
            "arm": "treatment",
            "random_number": "0.25",
            "order": "1",
            "withdrawn_on": "",
        },
        {
            "urn": "100002",
            "block": "982-low",
            "arm": "control",
            "random_number": "0.75",
            "order": "1",
            "withdrawn_on": "2022-03-01",
        },
    ],
    "ssws": [
        {"ssw_id": "W1", "la_code": "981", "fte": "0.5"},
        {"ssw_id": "W1", "la_code": "982", "fte": "0.5"},
    ],
    "sessions": [
        {
            "session_id": "S1",
            "urn": "100001",
            "ssw_id": "W1",
            "session_date": "2021-10-01",
            "format": "group",
            "mode": "face_to_face",
            "status": "held",
            "changed_by": "",
            "rescheduled_to": "",
            "attendees": "4",
            "duration_minutes": "90",
        },
        {
            "session_id": "S2",
            "urn": "100001",
            "ssw_id": "W1",
            "session_date": "2021-11-01",
            "format": "one_to_one",
            "mode": "online",
            "status": "rescheduled",
            "changed_by": "school",
            "rescheduled_to": "S3",
            "attendees": "0",
            "duration_minutes": "",
        },
        {
            "session_id": "S3",
            "urn": "100001",
            "ssw_id": "W1",
            "session_date": "2021-11-08",
            "format": "one_to_one",
            "mode": "online",
            "status": "held",
            "changed_by": "",
            "rescheduled_to": "",
            "attendees": "1",
            "duration_minutes": "60",
        },
        {
            "session_id": "S4",
            "urn": "100001",
            "ssw_id": "W1",
            "session_date": "2021-12-06",
            "format": "group",
            "mode": "face_to_face",
            "status": "cancelled",
            "changed_by": "ssw",
            "rescheduled_to": "",
            "attendees": "",
            "duration_minutes": "",
        },
    ],
    "ad_hoc_support": [
        {
            "support_id": "A1",
            "urn": "100001",
            "ssw_id": "W1",
            "support_date": "2021-10-12",
            "channel": "email",
            "topic": "threshold_decision",
            "duration_minutes": "15",
        },
    ],
    "delivery_ratings": [
        {"urn": "100001", "ssw_id": "W1", "need": "3", "engagement": "4"},
    ],
    "survey_responses": [
        {
            "respondent_token": "TOKEN0001",
            "urn": "100001",
            "wave": "baseline",
            "response_date": "2021-10-10",
            "role": "lead_dsl",
            "dsl_experience": "3_4",
            "warr_tense": "most_of_the_time",
            "warr_worried": "some_of_the_time",
            "warr_uneasy": "occasionally",
            "warr_depressed": "never",
            "warr_gloomy": "occasionally",
            "warr_miserable": "",
        },
        {
            "respondent_token": "TOKEN0001",
            "urn": "100001",
            "wave": "endline",
            "response_date": "2022-06-20",
            "role": "lead_dsl",
            "dsl_experience": "3_4",
            "warr_tense": "some_of_the_time",
            "warr_worried": "occasionally",
            "warr_uneasy": "never",
            "warr_depressed": "never",
            "warr_gloomy": "never",
            "warr_miserable": "never",
        },
    ],
    "costs": [
        {
            "cost_id": "K1",
            "la_code": "981",
            "school_year": "2021/22",
            "category": "ssw_salary",
            "kind": "recurring",
            "amount_gbp": "21000.5",
            "description": "Half of one SSW, salary and on-costs",
        },
        {
            "cost_id": "K2",
            "la_code": "",
            "school_year": "2021/22",
            "category": "ssw_training",
            "kind": "start_up",
            "amount_gbp": "5000",
            "description": "",
        },
    ],
}


def valid_tables() -> dict[str, list[Row]]:
    """A fresh copy of the valid rows of every contract table, by table name."""
    return copy.deepcopy(_VALID)


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    encoding: str = "utf-8",
) -> Path:
    """Write a CSV file exactly as given (header first, no checks)."""
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_rows(directory: Path, table: str, rows: Sequence[Mapping[str, str]]) -> Path:
    """Write one table's rows; the header is the first row's fields, else the contract's."""
    header = list(rows[0]) if rows else list(TABLES[table].columns)
    records = ([row.get(column, "") for column in header] for row in rows)
    return write_csv(directory / f"{table}.csv", header, records)


def write_directory(directory: Path, tables: Mapping[str, Sequence[Mapping[str, str]]]) -> Path:
    """Write every table in `tables` into `directory` and return the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    for table, rows in tables.items():
        write_rows(directory, table, rows)
    return directory
