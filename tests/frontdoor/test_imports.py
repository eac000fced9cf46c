"""Importing LA exports: the standard formats, mapped files, quarantine, idempotence, the store."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from factories.stores import store_state
from threshold.frontdoor import Store, import_export, load_profile
from threshold.frontdoor.imports import MSG_REPEATED
from threshold.frontdoor.store import MSG_TAMPERED
from threshold.model import InputError, read_table
from threshold.synth import MESSY_PROFILE

DATA = Path(__file__).parents[1] / "data"
STANDARDS = DATA / "la-data-standards"
THRESHOLD = str(Path(sys.executable).parent / "threshold")

CONTACTS_HEADER = (
    "Child ID,Contact date,Source of contact,School/Setting,Outcome of contact,Contact Ref"
)


def _write(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes("\r\n".join(lines).encode(encoding) + b"\r\n")
    return path


def _mapped(tmp_path: Path, lines: list[str], **options) -> tuple:
    export = _write(
        tmp_path / "export.csv", [CONTACTS_HEADER, *lines], options.pop("encoding", "utf-8")
    )
    store = tmp_path / "store"
    result = import_export(
        export,
        format="mapped",
        la_code="981",
        store=store,
        profile=load_profile(MESSY_PROFILE),
        **options,
    )
    return result, store


def _store_files(store: Path) -> dict[str, bytes]:
    return {k: v for k, v in store_state(store).items() if k != "imports.jsonl"}


def test_annex_a_workbook_loads_contacts_and_referrals_pseudonymised(tmp_path):
    store = tmp_path / "store"
    result = import_export(
        STANDARDS / "liia_tools_Annex_A_sample.xlsx", format="annex-a", la_code="975", store=store
    )
    assert [(p.table, p.records, p.new, p.quarantined) for p in result.parts] == [
        ("contacts", 5, 5, 0),
        ("referrals", 6, 6, 0),
    ]
    contacts = read_table(store, "contacts")
    referrals = read_table(store, "referrals")
    assert sorted(contacts["cont_contact_source_code"]) == ["1B", "6", "6", "6", "9"]
    assert sorted(referrals["cine_referral_source_code"]) == ["2A", "3D", "6", "6", "6", "8"]
    assert referrals["cine_referral_outcome"].isna().all()  # "No": how it ended is not recorded
    # the workbook's own child ids never reach the store
    text = (store / "contacts.csv").read_text() + (store / "referrals.csv").read_text()
    for child_id in ("9212044", "11973218", "6537810", "4653765"):
        assert child_id not in text
    assert contacts["cont_person_id"].str.fullmatch(r"[0-9a-f]{20}").all()


def test_annex_a_list_3_as_csv_nfa_at_referral_closes_on_the_referral_date(tmp_path):
    export = _write(
        tmp_path / "list3.csv",
        [
            "Child Unique ID,Gender,Date of Referral,Referral Source,Referral NFA?",
            "11,a) Male,16/09/2020,e) 2A: Schools,a) Yes",
            "12,b) Female,17/09/2020,q) 6: Police,No",
        ],
    )
    import_export(export, format="annex-a", la_code="975", store=tmp_path / "s")
    referrals = read_table(tmp_path / "s", "referrals").sort_values("cine_referral_date")
    assert referrals["cine_referral_outcome"].tolist()[0] == "nfa_at_referral"
    assert pd.isna(referrals["cine_referral_outcome"].tolist()[1])
    assert str(referrals["cine_close_date"].iloc[0].date()) == "2020-09-16"


def test_cin_census_xml_derives_how_referrals_ended_and_never_keeps_identifiers(tmp_path):
    store = tmp_path / "store"
    result = import_export(
        STANDARDS / "d2i_csc_validator_cin_CIN_Census_2024.xml",
        format="cin-xml",
        la_code="201",
        store=store,
    )
    assert (result.parts[0].records, result.parts[0].new) == (2, 1)
    # child 2: closed RC9 (to early help) five days after the referral
    referrals = read_table(store, "referrals")
    assert referrals["cine_referral_outcome"].tolist() == ["early_help"]
    assert str(referrals["cine_close_date"].iloc[0].date()) == "2024-10-29"
    # child 1: a child protection plan "started" before the referral: a validator's test case
    quarantine = Store(store).quarantine()
    assert quarantine[["locator", "field", "reason"]].values.tolist() == [
        ["child 1 referral 1", "cine_close_date", "must not be before cine_referral_date"]
    ]
    text = "".join(p.read_text() for p in store.glob("*.csv"))
    for identifier in ("A123456789123", "2015-03-27", "DfEX0000001"):
        assert identifier not in text


def test_cin_census_outcomes_from_nfa_flag_closure_reason_and_plans(tmp_path):
    def child(number: int, details: str) -> str:
        return (
            f"<Child><ChildIdentifiers><LAchildID>C{number}</LAchildID></ChildIdentifiers>"
            f"<CINdetails><CINreferralDate>2023-01-0{number}</CINreferralDate>"
            f"<ReferralSource>2A</ReferralSource>{details}</CINdetails></Child>"
        )

    xml = (
        "<Message><Header><Source><LEA>981</LEA></Source></Header><Children>"
        + child(1, "<ReferralNFA>true</ReferralNFA>")
        + child(
            2,
            "<ReferralNFA>0</ReferralNFA><CINclosureDate>2023-03-01</CINclosureDate>"
            "<ReasonForClosure>RC8</ReasonForClosure>",
        )
        + child(
            3,
            "<ReferralNFA>false</ReferralNFA><CINclosureDate>2023-02-01</CINclosureDate>"
            "<ReasonForClosure>RC9</ReasonForClosure>",
        )
        + child(4, "<ReferralNFA>false</ReferralNFA>")
        + child(
            5,
            "<ReferralNFA>false</ReferralNFA><CINPlanDates><CINPlanStartDate>2023-02-01"
            "</CINPlanStartDate></CINPlanDates>",
        )
        + child(6, "<ReferralNFA>maybe</ReferralNFA>")
        + "</Children></Message>"
    )
    path = tmp_path / "cin.xml"
    path.write_text(xml)
    result = import_export(path, format="cin-xml", la_code="981", store=tmp_path / "s")
    referrals = read_table(tmp_path / "s", "referrals").sort_values("cine_referral_date")
    assert referrals["cine_referral_outcome"].tolist() == [
        "nfa_at_referral",
        "nfa_after_assessment",
        "early_help",
        "open",
        "child_in_need",
    ]
    assert [str(d.date()) for d in referrals["cine_close_date"].dropna()] == [
        "2023-01-01",  # NFA at referral, no closure recorded: decided on the day
        "2023-03-01",
        "2023-02-01",
        "2023-02-01",  # the CIN plan started (the case closed later)
    ]
    quarantine = Store(tmp_path / "s").quarantine()
    assert result.parts[0].quarantined == 1
    assert quarantine.loc[0, ["locator", "field", "reason"]].tolist() == [
        "child 6 referral 1",
        "cine_referral_nfa",
        "'maybe' is not yes or no",
    ]


def test_cin_census_from_another_la_is_refused(tmp_path):
    with pytest.raises(InputError, match="from LA 975, not LA 981"):
        import_export(
            STANDARDS / "d2i_csc_validator_cin_fake_CIN_data.xml",
            format="cin-xml",
            la_code="981",
            store=tmp_path / "s",
        )
    assert not (tmp_path / "s" / "referrals.csv").exists()


def test_fake_cin_census_loads_every_referral(tmp_path):
    result = import_export(
        STANDARDS / "d2i_csc_validator_cin_fake_CIN_data.xml",
        format="cin-xml",
        la_code="975",
        store=tmp_path / "s",
    )
    assert (result.parts[0].records, result.parts[0].new, result.quarantined) == (402, 402, 0)


def test_ssd_contacts_and_episodes(tmp_path):
    contacts = _write(
        tmp_path / "ssd_contacts.csv",
        [
            "cont_contact_id,cont_person_id,cont_contact_date,cont_contact_source_code,"
            "cont_contact_source_desc,cont_contact_outcome_json",
            '1,P1,2023-09-04,2A,School,"{""OUTCOME_NFA_FLAG"": ""Y""}"',
            '2,P2,2023-09-05,6,Police,"{""OUTCOME_NFA_FLAG"": ""N""}"',
            "3,P3,2023-09-06,2A,School,not json",
        ],
    )
    episodes = _write(
        tmp_path / "ssd_cin_episodes.csv",
        [
            "cine_referral_id,cine_person_id,cine_referral_date,cine_referral_source_code,"
            "cine_referral_nfa,cine_close_reason,cine_close_date",
            "R1,P1,2023-09-10,2A,Y,,",
            "R2,P2,2023-09-11,6,N,RC8,2023-10-01",
        ],
    )
    store = tmp_path / "store"
    first = import_export(contacts, format="ssd", la_code="981", store=store)
    import_export(episodes, format="ssd", la_code="981", store=store)
    assert (first.parts[0].new, first.parts[0].quarantined) == (2, 1)
    loaded = read_table(store, "contacts").set_index("cont_contact_id")
    assert loaded.loc["981-1", "cont_contact_outcome"] == "nfa"
    assert pd.isna(loaded.loc["981-2", "cont_contact_outcome"])
    referrals = read_table(store, "referrals").set_index("cine_referral_id")
    assert referrals["cine_referral_outcome"].to_dict() == {
        "981-R1": "nfa_at_referral",
        "981-R2": "nfa_after_assessment",
    }
    # the same child has the same pseudonym in both tables, and in no other LA
    assert referrals.loc["981-R1", "cine_person_id"] == loaded.loc["981-1", "cont_person_id"]


def test_mapped_export_codes_dates_and_encodings(tmp_path):
    result, store = _mapped(
        tmp_path,
        [
            "C1,04/09/2023,Schools,St Mary’s CE Primary,NFA,A1",
            "C2,2023-09-05,e) 2A: Schools,Vale Academy,Step to Early Help,A2",
            "C3,06-Sep-23,POLICE,,Info and advice,A3",
            "C4,07.09.2023 14:30,Housing,,Referral to CSC,A4",
        ],
        encoding="cp1252",
    )
    contacts = read_table(store, "contacts").set_index("cont_contact_id")
    assert result.parts[0].new == 4
    assert contacts["cont_contact_source_code"].tolist() == ["2A", "2A", "6", "4"]
    assert contacts["cont_contact_outcome"].tolist() == [
        "nfa",
        "early_help",
        "information_advice",
        "referral",
    ]
    assert [str(d.date()) for d in contacts["cont_contact_date"]] == [
        "2023-09-04",
        "2023-09-05",
        "2023-09-06",
        "2023-09-07",
    ]
    assert contacts.loc["981-A1", "cont_source_school_name"] == "St Mary’s CE Primary"


def test_utf8_with_bom_and_undecodable_bytes(tmp_path):
    _, store = _mapped(
        tmp_path, ["C1,04/09/2023,Schools,Ysgol Gymraeg Bro Dŵr,NFA,A1"], encoding="utf-8-sig"
    )
    assert read_table(store, "contacts")["cont_source_school_name"].tolist() == [
        "Ysgol Gymraeg Bro Dŵr"
    ]
    bad = tmp_path / "bad.csv"
    bad.write_bytes(CONTACTS_HEADER.encode() + b"\r\nC1,04/09/2023,Schools,\x81x,NFA,A1\r\n")
    with pytest.raises(InputError, match=r"bad.csv: byte \d+ is not valid cp1252"):
        import_export(
            bad,
            format="mapped",
            la_code="981",
            store=tmp_path / "other",
            profile=load_profile(MESSY_PROFILE),
        )


def test_every_bad_record_is_quarantined_with_file_locator_field_and_reason(tmp_path):
    result, store = _mapped(
        tmp_path,
        [
            "C1,31/02/2023,Schools,Vale Academy,NFA,A1",
            "C2,04/09/2023,Carrier pigeon,,NFA,A2",
            ",04/09/2023,Police,,NFA,A3",
            "C4,04/09/2023,Police,,NFA,A4,extra",
            "C5,04/09/2023,Police,,NFA,A5",
            "C5,04/09/2023,Police,,NFA,A5",
        ],
    )
    assert (result.parts[0].records, result.parts[0].new, result.quarantined) == (6, 1, 5)
    quarantine = Store(store).quarantine()
    found = {(row.locator, row.field): row.reason for row in quarantine.itertuples()}
    assert found[("row 2", "cont_contact_date")].startswith("'31/02/2023' is not a date")
    assert found[("row 3", "cont_contact_source_code")].startswith(
        "'Carrier pigeon' is not a recognised contact source; add it to "
        "[values.cont_contact_source_code]"
    )
    assert found[("row 4", "cont_person_id")] == "is required but blank"
    assert found[("row 5", "")] == "has 7 fields but the header has 6"
    assert found[("row 7", "cont_contact_id")] == MSG_REPEATED.format(first="row 6")
    assert set(quarantine["file"]) == {"export.csv"}
    assert "C2" not in (store / "quarantine.csv").read_text()  # child ids pseudonymised there too


def test_reimporting_changes_nothing_and_a_corrected_extract_updates(tmp_path):
    lines = ["C1,04/09/2023,Schools,Vale Academy,NFA,A1", "C2,05/09/2023,Carrier pigeon,,NFA,A2"]
    _, store = _mapped(tmp_path, lines)
    before = _store_files(store)
    again, _ = _mapped(tmp_path, lines)
    assert (again.parts[0].new, again.parts[0].unchanged, again.quarantined) == (0, 1, 1)
    assert _store_files(store) == before
    corrected, _ = _mapped(
        tmp_path,
        ["C1,04/09/2023,Schools,Vale Academy,Early Help,A1", "C2,05/09/2023,Police,,NFA,A2"],
    )
    assert (corrected.parts[0].new, corrected.parts[0].updated, corrected.quarantined) == (1, 1, 0)
    assert read_table(store, "contacts")["cont_contact_outcome"].tolist() == ["early_help", "nfa"]
    assert len(Store(store).quarantine()) == 0  # the fixed record left quarantine


def test_strict_import_changes_nothing_when_a_record_is_rejected(tmp_path):
    with pytest.raises(InputError, match=r"1 record\(s\) rejected, so nothing was imported"):
        _mapped(tmp_path, ["C1,04/09/2023,Police,,NFA,A1", "C2,xx,Police,,NFA,A2"], strict=True)
    assert not (tmp_path / "store" / "contacts.csv").exists()


def test_missing_required_column_fails_the_whole_file(tmp_path):
    export = _write(tmp_path / "e.csv", ["Child ID,Contact date", "C1,04/09/2023"])
    with pytest.raises(InputError, match=r"e.csv: no column for cont_contact_source_code"):
        import_export(
            export,
            format="mapped",
            la_code="981",
            store=tmp_path / "s",
            profile=load_profile(MESSY_PROFILE),
        )


def test_a_store_edited_by_hand_is_refused(tmp_path):
    _, store = _mapped(tmp_path, ["C1,04/09/2023,Police,,NFA,A1"])
    with (store / "contacts.csv").open("a") as handle:
        handle.write("981-X,abc,981,2023-09-04,6,,,,nfa\n")
    with pytest.raises(InputError) as error:
        _mapped(tmp_path, ["C1,04/09/2023,Police,,NFA,A1"])
    location = store / "versions" / "000001"
    assert str(error.value) == MSG_TAMPERED.format(path=location, file="contacts.csv")


def test_linkage_on_import_then_remembered_decisions_update_records(tmp_path):
    register = pd.DataFrame(
        {
            "urn": [990001, 990002, 990003],
            "name": [
                "Vale Academy",
                "St Joseph's Catholic Primary School",
                "St Joseph's Catholic Primary School",
            ],
            "la_code": ["981", "981", "981"],
            "town": ["Kestrelton", "Porthavel", "Marwick"],
        }
    )
    lines = [
        "C1,04/09/2023,Schools,Vale Acad,NFA,A1",
        "C2,04/09/2023,Schools,St Josephs RC Primary,NFA,A2",
        "C3,04/09/2023,Schools,Home educated,NFA,A3",
    ]
    result, store = _mapped(tmp_path, lines, register=register)
    assert result.parts[0].linked == {"auto": 1, "review": 1, "none": 1}
    contacts = read_table(store, "contacts").set_index("cont_contact_id")
    assert contacts["cont_source_school_urn"].tolist()[0] == 990001
    assert contacts["cont_source_school_urn"].iloc[1:].isna().all()
    queue = Store(store).link_queue()
    assert queue["name_key"].tolist() == ["saint josephs catholic primary"]
    remembered = pd.DataFrame(
        {"la_code": ["981"], "name_key": ["saint josephs catholic primary"], "urn": [990003]}
    )
    again, _ = _mapped(tmp_path, lines, register=register, remembered=remembered)
    assert (again.parts[0].updated, again.parts[0].unchanged) == (1, 2)
    assert read_table(store, "contacts")["cont_source_school_urn"].iloc[1] == 990003


def test_a_school_written_with_its_former_name_links_only_with_former_names(tmp_path):
    register = pd.DataFrame(
        {"urn": [990001, 990002], "name": ["Kestrelton Vale Academy", "Harrington High School"]}
    ).assign(la_code="981")
    former = pd.DataFrame({"urn": [990001], "name": ["Brookside Community Primary School"]})
    lines = ["C1,04/09/2023,Schools,brookside comm primary sch,NFA,A1"]
    without, store = _mapped(tmp_path, lines, register=register)
    assert without.parts[0].linked == {"auto": 0, "review": 0, "none": 1}
    assert read_table(store, "contacts")["cont_source_school_urn"].isna().all()
    linked, store = _mapped(tmp_path, lines, register=register, former_names=former)
    assert linked.parts[0].linked == {"auto": 1, "review": 0, "none": 0}
    assert read_table(store, "contacts")["cont_source_school_urn"].tolist() == [990001]


@pytest.mark.slow
def test_messy_synthetic_exports_link_to_the_true_schools(tmp_path, small_world):
    """Every LA's messy export through one profile: records accounted for, links right."""
    world, messy = small_world
    register = pd.read_csv(world / "schools.csv", dtype={"la_code": str})
    profile = load_profile(MESSY_PROFILE)
    store = tmp_path / "store"
    records = 0
    for path in sorted(messy.glob("contacts_*.csv")):
        la = path.stem.split("_")[1]
        result = import_export(
            path, format="mapped", la_code=la, store=store, profile=profile, register=register
        )
        part = result.parts[0]
        assert part.records == part.new + part.quarantined
        records += part.records
    truth = pd.read_csv(messy / "truth.csv")
    assert records == len(truth)
    # only duplicated rows are rejected: written again identically, or with the school spelt
    # differently under the same contact id
    quarantine = Store(store).quarantine()
    assert quarantine["reason"].str.match(r"repeats row|has the same id as row").all()
    contacts = read_table(store, "contacts")
    # exports without contact ids cannot tell a respelt duplicate from a second contact
    assert 0 <= len(contacts) - truth["cont_contact_id"].nunique() < 0.01 * len(truth)
    linked = contacts.dropna(subset=["cont_source_school_urn"])
    assert len(linked) / truth["urn"].notna().sum() > 0.85
    truth_ids = truth.assign(
        cont_contact_id=truth["la_code"].astype(str) + "-" + truth["cont_contact_id"]
    )
    checked = linked.merge(truth_ids.drop_duplicates("cont_contact_id"), on="cont_contact_id")
    assert len(checked) > 0.5 * len(linked)  # the exports that carry contact ids
    assert (checked["cont_source_school_urn"] == checked["urn"]).mean() > 0.995


@pytest.fixture(scope="module")
def small_world(tmp_path_factory):
    directory = tmp_path_factory.mktemp("world")
    subprocess.run(
        [THRESHOLD, "synth", "--seed", "3", "--out", str(directory), "--messy"],
        check=True,
        capture_output=True,
    )
    return directory, directory / "messy"


def test_formula_cells_are_neutralised_in_the_store_and_read_back_unchanged(tmp_path):
    export = _write(
        tmp_path / "=SUM(A1).csv",  # an export's name is written into the quarantine
        [CONTACTS_HEADER, "C1,31/02/2023,Police,,NFA,A1", "C2,04/09/2023,Schools,@SUM(1+1),NFA,A2"],
    )
    store = tmp_path / "store"
    import_export(
        export, format="mapped", la_code="981", store=store, profile=load_profile(MESSY_PROFILE)
    )
    quarantine = (store / "quarantine.csv").read_text()
    contacts = (store / "contacts.csv").read_text()
    assert ",'=SUM(A1).csv," in quarantine
    assert ",'@SUM(1+1)," in contacts
    assert Store(store).quarantine()["file"].tolist() == ["=SUM(A1).csv"]
    assert read_table(store, "contacts")["cont_source_school_name"].tolist() == ["@SUM(1+1)"]
