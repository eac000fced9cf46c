"""The contract checker finds every kind of violation, where it is, and nothing in valid files."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from factories.contract import valid_tables, write_csv, write_directory, write_rows
from threshold.model.codes import ContactOutcome, Phase
from threshold.model.contract import TABLES
from threshold.model.files import (
    MSG_ABOVE_MAXIMUM,
    MSG_BELOW_MINIMUM,
    MSG_DANGLING_REFERENCE,
    MSG_DATE_RANGE,
    MSG_DUPLICATE_COLUMN,
    MSG_DUPLICATE_KEY,
    MSG_EMPTY_FILE,
    MSG_INTEGER_TOO_LARGE,
    MSG_MISSING_COLUMN,
    MSG_MISSING_REFERENCED_FILE,
    MSG_NOT_CODE,
    MSG_NOT_DATE,
    MSG_NOT_INTEGER,
    MSG_NOT_NUMBER,
    MSG_NOT_UTF8,
    MSG_PATTERN,
    MSG_RAGGED_ROW,
    MSG_REQUIRED,
    MSG_UNKNOWN_COLUMN,
    MSG_UNKNOWN_FILE,
    ContractError,
    Violation,
    check_directory,
    check_table,
    neutralise_formulas,
    read_table,
    write_table,
)

LA_HINT = "a three-digit LA number"


def rule_message(table: str, field: str, start: str) -> str:
    """The message of the one row rule of `table` on `field` whose message starts with `start`."""
    (message,) = (
        r.message for r in TABLES[table].rules if r.field == field and r.message.startswith(start)
    )
    return message


def edited(table: str, row: int, changes: dict[str, str]) -> dict[str, list[dict[str, str]]]:
    """The valid tables with `changes` made to one row (1 is the first record)."""
    tables = valid_tables()
    tables[table][row - 1].update(changes)
    return tables


def test_a_valid_directory_has_no_violations(tmp_path: Path) -> None:
    write_directory(tmp_path, valid_tables())
    assert check_directory(tmp_path) == []


def test_every_table_has_valid_rows_in_the_factory() -> None:
    tables = valid_tables()
    assert set(tables) == set(TABLES)
    for name, rows in tables.items():
        assert rows, name
        assert all(list(row) == list(TABLES[name].columns) for row in rows), name


# (table, row, changes, field, reason): one cell (or two) made wrong gives exactly one violation.
CELL_CASES = [
    # required blank
    ("schools", 1, {"name": ""}, "name", MSG_REQUIRED),
    ("contacts", 2, {"cont_contact_date": ""}, "cont_contact_date", MSG_REQUIRED),
    # not an integer
    ("schools", 1, {"pupils_on_roll": "250.0"}, "pupils_on_roll", MSG_NOT_INTEGER),
    ("schools", 1, {"pupils_on_roll": "1,200"}, "pupils_on_roll", MSG_NOT_INTEGER),
    ("schools", 1, {"pupils_on_roll": " 250"}, "pupils_on_roll", MSG_NOT_INTEGER),
    ("schools", 1, {"pupils_on_roll": "٢٥٠"}, "pupils_on_roll", MSG_NOT_INTEGER),
    ("sessions", 1, {"duration_minutes": "ninety"}, "duration_minutes", MSG_NOT_INTEGER),
    ("allocations", 1, {"order": "1" * 19}, "order", MSG_INTEGER_TOO_LARGE),
    # not a number
    ("schools", 1, {"pct_fsm": "nan"}, "pct_fsm", MSG_NOT_NUMBER),
    ("schools", 1, {"pct_fsm": "NaN"}, "pct_fsm", MSG_NOT_NUMBER),
    ("schools", 1, {"pct_fsm": "inf"}, "pct_fsm", MSG_NOT_NUMBER),
    ("schools", 1, {"pct_fsm": "-inf"}, "pct_fsm", MSG_NOT_NUMBER),
    ("schools", 1, {"pct_fsm": "23.5%"}, "pct_fsm", MSG_NOT_NUMBER),
    ("costs", 1, {"amount_gbp": "£21000"}, "amount_gbp", MSG_NOT_NUMBER),
    # not a date
    ("contacts", 1, {"cont_contact_date": "2021-02-30"}, "cont_contact_date", MSG_NOT_DATE),
    ("contacts", 1, {"cont_contact_date": "31/01/2021"}, "cont_contact_date", MSG_NOT_DATE),
    ("contacts", 1, {"cont_contact_date": "2021-1-5"}, "cont_contact_date", MSG_NOT_DATE),
    ("contacts", 1, {"cont_contact_date": "2021-10-04 09:00"}, "cont_contact_date", MSG_NOT_DATE),
    ("allocations", 2, {"withdrawn_on": "2022-13-01"}, "withdrawn_on", MSG_NOT_DATE),
    ("contacts", 1, {"cont_contact_date": "0001-01-01"}, "cont_contact_date", MSG_DATE_RANGE),
    ("referrals", 1, {"cine_referral_date": "2999-09-01"}, "cine_referral_date", MSG_DATE_RANGE),
    # not a code
    ("schools", 1, {"phase": "Primary"}, "phase", MSG_NOT_CODE),
    ("contacts", 2, {"cont_contact_source_code": "6 "}, "cont_contact_source_code", MSG_NOT_CODE),
    ("sessions", 1, {"status": "done"}, "status", MSG_NOT_CODE),
    ("sessions", 2, {"status": "done"}, "status", MSG_NOT_CODE),
    # patterns
    ("contacts", 1, {"cont_child_school_urn": "12345"}, "cont_child_school_urn", MSG_PATTERN),
    ("contacts", 1, {"cont_child_school_urn": "012345"}, "cont_child_school_urn", MSG_PATTERN),
    ("schools", 1, {"la_code": "98"}, "la_code", MSG_PATTERN),
    ("schools", 1, {"la_code": "9810"}, "la_code", MSG_PATTERN),
    ("schools", 1, {"la_code": "98١"}, "la_code", MSG_PATTERN),
    ("schools", 1, {"postcode": "ns1 2ab"}, "postcode", MSG_PATTERN),
    ("schools", 1, {"postcode": "NS12AB"}, "postcode", MSG_PATTERN),
    ("survey_responses", 1, {"respondent_token": "tok1"}, "respondent_token", MSG_PATTERN),
    ("survey_responses", 2, {"respondent_token": "TOKEN-0001"}, "respondent_token", MSG_PATTERN),
    ("costs", 2, {"school_year": "2021-22"}, "school_year", MSG_PATTERN),
    # bounds
    ("schools", 1, {"pupils_on_roll": "-1"}, "pupils_on_roll", MSG_BELOW_MINIMUM),
    ("allocations", 1, {"order": "0"}, "order", MSG_BELOW_MINIMUM),
    ("ssws", 2, {"fte": "-0.5"}, "fte", MSG_BELOW_MINIMUM),
    ("schools", 1, {"pct_fsm": "100.5"}, "pct_fsm", MSG_ABOVE_MAXIMUM),
    ("allocations", 2, {"random_number": "1.5"}, "random_number", MSG_ABOVE_MAXIMUM),
    ("sessions", 1, {"attendees": "31"}, "attendees", MSG_ABOVE_MAXIMUM),
    ("delivery_ratings", 1, {"need": "5"}, "need", MSG_ABOVE_MAXIMUM),
    # references
    ("contacts", 2, {"cont_child_school_urn": "100009"}, "cont_child_school_urn", "dangling"),
    ("referrals", 2, {"cine_contact_id": "C9"}, "cine_contact_id", "dangling"),
    ("sessions", 4, {"ssw_id": "W9"}, "ssw_id", "dangling"),
    ("sessions", 2, {"rescheduled_to": "S9"}, "rescheduled_to", "dangling"),
    ("schools", 2, {"la_code": "983"}, "la_code", "dangling"),
    # row rules
    ("contacts", 1, {"cont_person_id": "A12345678901B"}, "cont_person_id", "rule:must not look"),
    ("referrals", 2, {"cine_person_id": "Z123456789012"}, "cine_person_id", "rule:must not look"),
    (
        "contacts",
        2,
        {"cont_source_school_urn": "100002"},
        "cont_source_school_urn",
        "rule:must be blank unless",
    ),
    (
        "contacts",
        2,
        {"cont_source_school_name": "Southshire Academy"},
        "cont_source_school_name",
        "rule:must be blank unless",
    ),
    (
        "referrals",
        2,
        {"cine_source_school_urn": "100002"},
        "cine_source_school_urn",
        "rule:must be blank unless",
    ),
    ("referrals", 1, {"cine_close_date": "2021-10-04"}, "cine_close_date", "rule:must not be"),
    ("referrals", 2, {"cine_close_date": "2022-02-01"}, "cine_close_date", "rule:must be blank"),
    (
        "referrals",
        1,
        {"cine_referral_outcome": "nfa_at_referral", "cine_close_date": ""},
        "cine_close_date",
        "rule:is required",
    ),
    ("referrals", 1, {"cine_close_date": ""}, "cine_close_date", "rule:is required"),
    ("sessions", 1, {"changed_by": "school"}, "changed_by", "rule:must be blank"),
    ("sessions", 4, {"changed_by": ""}, "changed_by", "rule:is required"),
    ("sessions", 2, {"changed_by": ""}, "changed_by", "rule:is required"),
    ("sessions", 1, {"attendees": "0"}, "attendees", "rule:must be 1"),
    ("sessions", 3, {"attendees": ""}, "attendees", "rule:must be 1"),
    ("sessions", 4, {"attendees": "2"}, "attendees", "rule:must be blank"),
    ("sessions", 1, {"rescheduled_to": "S3"}, "rescheduled_to", "rule:must be blank"),
    ("sessions", 4, {"rescheduled_to": "S3"}, "rescheduled_to", "rule:must be blank"),
]


def test_the_cases_cover_every_row_rule() -> None:
    covered = {
        (table, field, rule_message(table, field, kind.removeprefix("rule:")))
        for table, _, _, field, kind in CELL_CASES
        if kind.startswith("rule:")
    }
    assert covered == {(t.name, r.field, r.message) for t in TABLES.values() for r in t.rules}


def expected_reason(table: str, field: str, value: str, kind: str) -> str:
    """The reason the checker must give for `value` in `field`, per the MSG_* constants."""
    spec = TABLES[table].field(field)
    if kind.startswith("rule:"):
        return rule_message(table, field, kind.removeprefix("rule:"))
    if kind == "dangling":
        target, target_field = spec.references or ("", "")
        return MSG_DANGLING_REFERENCE.format(value=value, field=target_field, table=target)
    extra = {
        MSG_NOT_CODE: {"allowed": ", ".join(spec.codes.values()) if spec.codes else ""},
        MSG_PATTERN: {"hint": spec.pattern_hint},
        MSG_BELOW_MINIMUM: {"minimum": spec.minimum},
        MSG_ABOVE_MAXIMUM: {"maximum": spec.maximum},
    }.get(kind, {})
    return kind.format(value=value, **extra)


@pytest.mark.parametrize(
    ("table", "row", "changes", "field", "kind"),
    CELL_CASES,
    ids=[f"{t}-row{r}-{f}={','.join(c.values())!r}" for t, r, c, f, _ in CELL_CASES],
)
def test_one_bad_cell_gives_one_violation_at_its_row_and_field(
    tmp_path: Path, table: str, row: int, changes: dict[str, str], field: str, kind: str
) -> None:
    write_directory(tmp_path, edited(table, row, changes))
    reason = expected_reason(table, field, changes.get(field, ""), kind)
    assert check_directory(tmp_path) == [Violation(f"{table}.csv", row, field, reason)]


def test_code_message_lists_the_allowed_values(tmp_path: Path) -> None:
    write_directory(tmp_path, edited("schools", 1, {"phase": "Primary"}))
    (violation,) = check_directory(tmp_path)
    assert violation.reason == (
        "'Primary' is not an allowed value (primary, secondary, all_through, special, "
        "alternative_provision)"
    )


def test_an_unknown_file_is_reported(tmp_path: Path) -> None:
    write_directory(tmp_path, valid_tables())
    write_csv(tmp_path / "pupils.csv", ["upn"], [["A12345678901B"]])
    expected = ", ".join(table.filename for table in TABLES.values())
    assert check_directory(tmp_path) == [
        Violation("pupils.csv", None, None, MSG_UNKNOWN_FILE.format(expected=expected))
    ]


def test_a_file_that_is_not_utf8_is_reported_with_the_byte(tmp_path: Path) -> None:
    tables = valid_tables()
    tables["schools"][0]["name"] = "École Saint-Étienne"
    write_directory(tmp_path, tables)
    path = tmp_path / "schools.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("cp1252"))
    position = path.read_bytes().index("É".encode("cp1252"))
    # Only the one violation: tables referring to the unreadable schools.csv are not flooded.
    assert check_directory(tmp_path) == [
        Violation("schools.csv", None, None, MSG_NOT_UTF8.format(position=position))
    ]


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf"], ids=["empty", "bom-only"])
def test_an_empty_file_is_reported(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "ssws.csv").write_bytes(content)
    assert check_table(tmp_path / "ssws.csv", TABLES["ssws"]).violations == [
        Violation("ssws.csv", None, None, MSG_EMPTY_FILE)
    ]


def test_a_missing_required_column_is_reported_once(tmp_path: Path) -> None:
    tables = valid_tables()
    for row in tables["schools"]:
        del row["phase"]
    write_directory(tmp_path, tables)
    assert check_directory(tmp_path) == [
        Violation("schools.csv", None, "phase", MSG_MISSING_COLUMN)
    ]


def test_optional_columns_may_be_left_out(tmp_path: Path) -> None:
    tables = valid_tables()
    del tables["sessions"]  # its rules need `changed_by` and `attendees` for some statuses
    for name, rows in tables.items():
        optional = [f.name for f in TABLES[name].fields if not f.required]
        for row in rows:
            for column in optional:
                del row[column]
    write_directory(tmp_path, tables)
    assert check_directory(tmp_path) == []


def test_unknown_and_duplicate_columns_are_reported(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "local_authorities.csv",
        ["la_code", "la_name", "la_name", "director"],
        [["981", "Northshire", "Northshire", "A. Person"]],
    )
    assert check_table(path, TABLES["local_authorities"]).violations == [
        Violation("local_authorities.csv", None, "la_name", MSG_DUPLICATE_COLUMN),
        Violation(
            "local_authorities.csv",
            None,
            "director",
            MSG_UNKNOWN_COLUMN.format(table="local_authorities"),
        ),
    ]


def test_a_ragged_row_is_reported_and_the_other_rows_still_checked(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "local_authorities.csv",
        ["la_code", "la_name", "region"],
        [["981", "Northshire"], ["98", "Southshire", ""], ["983", "Eastshire", "East", "x"]],
    )
    assert check_table(path, TABLES["local_authorities"]).violations == [
        Violation("local_authorities.csv", 1, None, MSG_RAGGED_ROW.format(found=2, expected=3)),
        Violation("local_authorities.csv", 3, None, MSG_RAGGED_ROW.format(found=4, expected=3)),
        Violation(
            "local_authorities.csv", 2, "la_code", MSG_PATTERN.format(value="98", hint=LA_HINT)
        ),
    ]


@pytest.mark.parametrize(
    ("table", "extra", "field", "key", "first"),
    [
        ("schools", {"name": "Another name"}, "urn", "urn", 1),
        ("ssws", {"fte": "0.1"}, "la_code", "ssw_id, la_code", 2),
        ("survey_responses", {"urn": "100002"}, "wave", "respondent_token, wave", 2),
    ],
)
def test_a_duplicate_key_is_reported_against_the_first_row(
    tmp_path: Path, table: str, extra: dict[str, str], field: str, key: str, first: int
) -> None:
    tables = valid_tables()
    tables[table].append({**tables[table][first - 1], **extra})
    write_directory(tmp_path, tables)
    row = len(tables[table])
    reason = MSG_DUPLICATE_KEY.format(key=key, first=first)
    assert check_directory(tmp_path) == [Violation(f"{table}.csv", row, field, reason)]


def test_a_reference_to_a_table_absent_from_the_directory_is_reported(tmp_path: Path) -> None:
    tables = valid_tables()
    del tables["ssws"]
    write_directory(tmp_path, tables)
    reason = MSG_MISSING_REFERENCED_FILE.format(table="ssws")
    assert check_directory(tmp_path) == [
        Violation(f"{table}.csv", None, "ssw_id", reason)
        for table in ("ad_hoc_support", "delivery_ratings", "sessions")
    ]


def test_a_directory_need_not_hold_every_table(tmp_path: Path) -> None:
    tables = valid_tables()
    write_directory(tmp_path, {name: tables[name] for name in ("local_authorities", "ssws")})
    assert check_directory(tmp_path) == []


def test_every_violation_in_a_file_is_reported_in_order(tmp_path: Path) -> None:
    tables = valid_tables()
    tables["contacts"][0].update(cont_contact_date="2021-02-30", cont_contact_outcome="closed")
    tables["contacts"][1].update(cont_person_id="", cont_source_school_urn="100001")
    tables["contacts"].append({**tables["contacts"][1], "cont_la_code": "1"})
    write_directory(tmp_path, tables)
    allowed = ", ".join(ContactOutcome.values())
    only_schools = rule_message("contacts", "cont_source_school_urn", "must")
    assert check_directory(tmp_path) == [
        Violation("contacts.csv", 1, "cont_contact_date", MSG_NOT_DATE.format(value="2021-02-30")),
        Violation(
            "contacts.csv",
            1,
            "cont_contact_outcome",
            MSG_NOT_CODE.format(value="closed", allowed=allowed),
        ),
        Violation("contacts.csv", 2, "cont_person_id", MSG_REQUIRED),
        Violation("contacts.csv", 2, "cont_source_school_urn", only_schools),
        Violation(
            "contacts.csv",
            3,
            "cont_contact_id",
            MSG_DUPLICATE_KEY.format(key="cont_contact_id", first=2),
        ),
        Violation("contacts.csv", 3, "cont_la_code", MSG_PATTERN.format(value="1", hint=LA_HINT)),
        Violation("contacts.csv", 3, "cont_person_id", MSG_REQUIRED),
        Violation("contacts.csv", 3, "cont_source_school_urn", only_schools),
    ]


def test_rows_are_numbered_from_the_first_record_after_the_header(tmp_path: Path) -> None:
    rows = [["981", "Northshire", ""], ["982", "Southshire", ""], ["98x", "Eastshire", ""]]
    path = write_csv(tmp_path / "local_authorities.csv", ["la_code", "la_name", "region"], rows)
    (violation,) = check_table(path, TABLES["local_authorities"]).violations
    assert violation.row == 3
    assert str(violation) == "local_authorities.csv row 3 [la_code]: '98x' is not " + LA_HINT


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "local_authorities.csv",
        ["la_code", "la_name"],
        [["981", "Ynys Môn"]],
        encoding="utf-8-sig",
    )
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    result = check_table(path, TABLES["local_authorities"])
    assert result.violations == []
    assert result.frame["la_name"].tolist() == ["Ynys Môn"]


def test_a_quoted_cell_keeps_its_commas_quotes_and_line_breaks(tmp_path: Path) -> None:
    reason = 'Split "A, B"\nand\r\nC\u2028D'
    tables = {"data_gaps": valid_tables()["data_gaps"]}
    tables["data_gaps"][0]["reason"] = reason
    write_directory(tmp_path, tables)
    result = check_table(tmp_path / "data_gaps.csv", TABLES["data_gaps"])
    assert result.violations == []
    assert result.frame["reason"].tolist() == [reason]


def test_read_table_raises_contract_error_with_every_violation(tmp_path: Path) -> None:
    tables = valid_tables()
    tables["schools"][0]["phase"] = "Primary"
    tables["schools"][1]["pupils_on_roll"] = "many"
    write_directory(tmp_path, tables)
    with pytest.raises(ContractError) as raised:
        read_table(tmp_path, "schools")
    allowed = ", ".join(Phase.values())
    assert raised.value.violations == [
        Violation("schools.csv", 1, "phase", MSG_NOT_CODE.format(value="Primary", allowed=allowed)),
        Violation("schools.csv", 2, "pupils_on_roll", MSG_NOT_INTEGER.format(value="many")),
    ]
    assert "schools.csv row 1 [phase]" in str(raised.value)
    assert "schools.csv row 2 [pupils_on_roll]" in str(raised.value)


def test_read_table_returns_typed_columns(tmp_path: Path) -> None:
    write_directory(tmp_path, valid_tables())
    schools = read_table(tmp_path, "schools")
    allocations = read_table(tmp_path, TABLES["allocations"])
    contacts = read_table(tmp_path, "contacts")
    assert schools["urn"].dtype == "Int64"
    assert schools["pupils_on_roll"].tolist() == [250, pd.NA]
    assert schools["pct_fsm"].dtype == "float64"
    assert schools["pct_fsm"].iloc[0] == 23.5
    assert pd.isna(schools["pct_fsm"].iloc[1])
    assert schools["name"].dtype == object
    assert schools["establishment_type"].tolist() == ["community", pd.NA]
    assert allocations["withdrawn_on"].dtype == "datetime64[ns]"
    assert allocations["withdrawn_on"].iloc[1] == pd.Timestamp("2022-03-01")
    assert pd.isna(allocations["withdrawn_on"].iloc[0])
    assert contacts["cont_contact_source_code"].tolist() == ["2A", "6"]
    # Frames from different tables combine (nothing unhashable rides along in `attrs`).
    assert len(schools.merge(allocations, on="urn")) == 2


def test_read_table_types_a_left_out_optional_column_as_its_field(tmp_path: Path) -> None:
    rows = [{"urn": "100001", "block": "b", "arm": "control", "random_number": "0.5", "order": "1"}]
    write_rows(tmp_path, "allocations", rows)
    allocations = read_table(tmp_path, "allocations")
    assert list(allocations.columns) == list(TABLES["allocations"].columns)
    assert allocations["withdrawn_on"].dtype == "datetime64[ns]"
    assert allocations["withdrawn_on"].isna().all()


def test_a_formula_is_neutralised_on_disk_and_read_back_unchanged(tmp_path: Path) -> None:
    formula = '=HYPERLINK("http://x","y")'
    write_directory(tmp_path / "in", valid_tables())
    schools = read_table(tmp_path / "in", "schools")
    schools.loc[0, "name"] = formula
    schools.loc[1, "name"] = "'quoted"
    out = tmp_path / "out"
    write_table(read_table(tmp_path / "in", "local_authorities"), "local_authorities", out)
    path = write_table(schools, "schools", out)
    with path.open(encoding="utf-8", newline="") as handle:
        names = [record["name"] for record in csv.DictReader(handle)]
    assert names == ["'" + formula, "''quoted"]
    assert check_directory(out) == []
    pd.testing.assert_frame_equal(read_table(out, "schools"), schools, check_exact=True)


def test_a_hand_written_quote_is_kept_unless_it_escapes_a_formula(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "local_authorities.csv",
        ["la_code", "la_name"],
        [["981", "'Ynys Môn"], ["982", "'-Ynys Môn"], ["983", "'"]],
    )
    result = check_table(path, TABLES["local_authorities"])
    assert result.frame["la_name"].tolist() == ["'Ynys Môn", "-Ynys Môn", "'"]


def test_neutralising_leaves_numbers_and_missing_values_as_they_are() -> None:
    frame = pd.DataFrame(
        {"name": ["-2 schools", "@x", None], "change": [-2, 3, -4], "rate": [-0.5, 1.0, None]}
    )
    neutralised = neutralise_formulas(frame)
    assert neutralised["name"].tolist()[:2] == ["'-2 schools", "'@x"]
    assert pd.isna(neutralised["name"].iloc[2])
    pd.testing.assert_frame_equal(neutralised[["change", "rate"]], frame[["change", "rate"]])
