"""Measures over several periods in one call (a school × period table): window edges, the
referral NFA cut-off, gaps by school year, and rates for schools without pupils on roll."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from threshold.measures import (
    FRONT_DOOR_MEASURES,
    MEASURE_COLUMNS,
    MISSING_NO_PUPILS,
    MISSING_ZERO_PUPILS,
    MeasureSpec,
    build_measures,
    period_label,
    school_year_window,
)
from threshold.model import InputError, OutcomeMeasure

YEAR = school_year_window("2023/24")
AUTUMN = (dt.date(2023, 9, 1), dt.date(2024, 2, 29))
SUMMER = (dt.date(2024, 3, 1), dt.date(2024, 7, 31))
WINDOWS = {"2023/24": YEAR, "2023-09-01:2024-02-29": AUTUMN, "2024-03-01:2024-07-31": SUMMER}
A, B, C, D = 100001, 100002, 100003, 100004


def _world():
    schools = pd.DataFrame(
        {
            "urn": [A, B, C, D],
            "la_code": ["801", "801", "802", "803"],
            "pupils_on_roll": pd.array([800, None, 0, 400], dtype="Int64"),
        }
    )
    t = pd.Timestamp
    contacts = pd.DataFrame(
        {
            "cont_contact_date": [
                t("2023-08-31"),  # before the year
                t("2023-09-01"),
                t("2024-02-29"),  # the autumn half's last day
                t("2024-03-01"),
                t("2024-07-31 15:30"),  # late on the last day still counts
                t("2024-08-01"),  # after the year
                t("2023-10-02"),
                t("2023-11-11"),
                t("2024-05-05"),
                t("2024-04-04"),
                t("2023-12-12"),  # education services, not the school, though it names it
            ],
            "cont_contact_source_code": ["2A"] * 6 + ["2A", "5A", "1A", "2A", "2B"],
            "cont_source_school_urn": pd.array(
                [A, A, A, A, A, A, B, None, None, 999999, A], dtype="Int64"
            ),
            "cont_child_school_urn": pd.array([A, A, A, A, A, A, B, A, C, C, A], dtype="Int64"),
            "cont_contact_outcome": [
                "nfa",
                "nfa",
                "referral",
                "nfa",
                "early_help",
                "nfa",
                "nfa",
                "nfa",
                "nfa",
                "nfa",
                "nfa",
            ],
        }
    )
    referrals = pd.DataFrame(
        {
            "cine_referral_date": [
                t("2023-09-20"),
                t("2024-01-10"),
                t("2024-03-15"),
                t("2024-06-01"),
                t("2024-06-02"),
                t("2024-06-03"),
            ],
            "cine_referral_source_code": ["2A", "2A", "2A", "2A", "3A", "2A"],
            "cine_source_school_urn": pd.array([A, A, A, A, None, D], dtype="Int64"),
            "cine_referral_outcome": [
                "nfa_at_referral",
                "child_in_need",
                "nfa_after_assessment",
                "open",
                "nfa_at_referral",
                "nfa_at_referral",
            ],
            "cine_close_date": [
                t("2023-09-25"),
                t("2024-02-01"),
                t("2024-07-31"),  # decided on the cut-off day: observed
                pd.NaT,
                t("2024-06-04"),
                t("2024-06-10"),
            ],
        }
    )
    gaps = pd.DataFrame(
        {
            "la_code": ["803", "803", "802"],
            "school_year": ["2023/24", "2022/23", "2023/24"],
            "gap": ["referral_outcomes", "referral_outcomes", "all_source_contacts"],
            "reason": ["held in another system", "not kept", "school contacts only"],
        }
    )
    return schools, contacts, referrals, gaps


def _table(measure: OutcomeMeasure, observed_by: dt.date = YEAR[1], **options) -> pd.DataFrame:
    specs = [
        (measure.value, MeasureSpec(measure, start, end, observed_by=observed_by, **options))
        for start, end in WINDOWS.values()
    ]
    return build_measures(*_world(), specs).set_index(["period", "urn"])


@pytest.mark.parametrize(
    ("measure", "school", "counts"),
    [
        (OutcomeMeasure.CONTACTS, A, [4, 2, 2]),
        (OutcomeMeasure.NFA_CONTACTS, A, [2, 1, 1]),
        (OutcomeMeasure.CONTACTS, B, [1, 1, 0]),
        (OutcomeMeasure.REFERRALS, A, [4, 2, 2]),
        (OutcomeMeasure.REFERRAL_NFA, A, [2, 1, 1]),
        (OutcomeMeasure.ALL_SOURCE_CONTACTS, A, [6, 4, 2]),
        (OutcomeMeasure.ALL_SOURCE_CONTACTS, B, [1, 1, 0]),
    ],
)
def test_counts_for_each_measure_and_window(measure, school, counts):
    table = _table(measure)
    assert [table.loc[(period, school), "count"] for period in WINDOWS] == counts


def test_one_call_gives_a_school_by_period_table_for_every_measure():
    specs = [
        (measure.value, MeasureSpec(measure, start, end, observed_by=YEAR[1]))
        for measure in FRONT_DOOR_MEASURES
        for start, end in WINDOWS.values()
    ]
    built = build_measures(*_world(), specs)
    assert tuple(built.columns) == MEASURE_COLUMNS
    assert len(built) == 5 * 3 * 4
    assert built["urn"].tolist() == [A, B, C, D] * 15
    assert built.drop_duplicates(["name", "period"])["name"].tolist() == [name for name, _ in specs]
    summer = built[(built["name"] == "contacts") & (built["period"] == "2024-03-01:2024-07-31")]
    assert summer["start"].tolist() == [pd.Timestamp(SUMMER[0])] * 4
    assert summer["end"].tolist() == [pd.Timestamp(SUMMER[1])] * 4
    assert summer["urn"].tolist() == [A, B, C, D]


def test_a_school_with_no_records_counts_zero_and_unknown_schools_are_not_counted():
    contacts = _table(OutcomeMeasure.CONTACTS, per_pupil=False)
    assert contacts.loc[("2023/24", D), "count"] == 0
    assert contacts.loc[("2023/24", D), "value"] == 0
    assert 999999 not in contacts.index.get_level_values("urn")
    assert contacts.loc[("2023/24", C), "count"] == 0  # 999999's contact is not C's


def test_referral_nfa_counts_outcomes_decided_by_the_cut_off():
    assert _table(OutcomeMeasure.REFERRAL_NFA).loc[("2023/24", A), "count"] == 2
    earlier = _table(OutcomeMeasure.REFERRAL_NFA, observed_by=dt.date(2024, 7, 30))
    assert earlier.loc[("2023/24", A), "count"] == 1
    specs = {
        "by_july": MeasureSpec(OutcomeMeasure.REFERRAL_NFA, *YEAR, observed_by=YEAR[1]),
        "by_june": MeasureSpec(
            OutcomeMeasure.REFERRAL_NFA, *YEAR, observed_by=dt.date(2024, 6, 30)
        ),
    }
    built = build_measures(*_world(), specs).set_index(["name", "urn"])
    assert built.loc[("by_july", A), "count"] == 2
    assert built.loc[("by_june", A), "count"] == 1


def test_gaps_make_a_measure_missing_with_the_reason_in_the_years_they_cover():
    referral_nfa = _table(OutcomeMeasure.REFERRAL_NFA)
    assert pd.isna(referral_nfa.loc[("2023/24", D), "count"])
    assert pd.isna(referral_nfa.loc[("2023/24", D), "value"])
    assert referral_nfa.loc[("2023/24", D), "missing_reason"] == "2023/24: held in another system"
    referrals = _table(OutcomeMeasure.REFERRALS)  # the gap is in outcomes, not referrals
    assert referrals.loc[("2023/24", D), "count"] == 1
    assert referrals.loc[("2023/24", D), "value"] == pytest.approx(1 / 400)
    before = build_measures(
        *_world(),
        {
            "r": MeasureSpec(
                OutcomeMeasure.REFERRAL_NFA, dt.date(2023, 3, 1), YEAR[1], observed_by=YEAR[1]
            )
        },
    ).set_index("urn")
    assert before.loc[D, "missing_reason"] == "2022/23: not kept; 2023/24: held in another system"
    all_sources = _table(OutcomeMeasure.ALL_SOURCE_CONTACTS, per_pupil=False)
    assert all_sources.loc[("2023/24", C), "missing_reason"] == "2023/24: school contacts only"
    assert pd.isna(all_sources.loc[("2023/24", C), "value"])


def test_rates_are_per_pupil_and_missing_without_pupils_on_roll():
    contacts = _table(OutcomeMeasure.CONTACTS)
    assert contacts.loc[("2023/24", A), "value"] == pytest.approx(4 / 800)
    assert contacts.loc[("2023/24", A), "pupils"] == 800
    no_roll = contacts.loc[("2023/24", B)]
    assert no_roll["count"] == 1
    assert pd.isna(no_roll["value"])
    assert no_roll["missing_reason"] == MISSING_NO_PUPILS
    zero = contacts.loc[("2023/24", C)]
    assert pd.isna(zero["value"])
    assert zero["missing_reason"] == MISSING_ZERO_PUPILS
    counts = _table(OutcomeMeasure.CONTACTS, per_pupil=False)
    assert counts.loc[("2023/24", B), "value"] == 1
    assert pd.isna(counts.loc[("2023/24", B), "missing_reason"])


def test_a_name_is_measured_once_a_period():
    spec = MeasureSpec(OutcomeMeasure.CONTACTS, *YEAR)
    with pytest.raises(InputError, match="contacts over 2023/24 is asked for more than once"):
        build_measures(*_world(), [("contacts", spec), ("contacts", spec)])


def test_no_specs_give_an_empty_table_with_the_columns():
    assert tuple(build_measures(*_world(), {}).columns) == MEASURE_COLUMNS


def test_school_year_windows_and_period_labels():
    assert school_year_window("2023/24") == (dt.date(2023, 9, 1), dt.date(2024, 7, 31))
    assert school_year_window("1999/00") == (dt.date(1999, 9, 1), dt.date(2000, 7, 31))
    assert period_label(*school_year_window("2023/24")) == "2023/24"
    assert period_label(*AUTUMN) == "2023-09-01:2024-02-29"
    assert period_label(dt.date(2023, 9, 1), dt.date(2024, 8, 31)) == "2023-09-01:2024-08-31"
    for bad in ("2023/25", "2023-24", "23/24"):
        with pytest.raises(InputError, match="is not a school year; write it like 2023/24"):
            school_year_window(bad)
