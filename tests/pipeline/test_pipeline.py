"""The pipeline end to end on a small synthetic world: its LAs' messy exports imported into a
store per LA, then the locked protocol's analysis of what the stores hold, with the report and
its data section."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from threshold.frontdoor import Store
from threshold.model import InputError
from threshold.pipeline import (
    MSG_NO_CONTACTS,
    MSG_OUT,
    MSG_SAME_RECORDS,
    STAGES,
    FrontDoorCheck,
    PipelineConfig,
    PipelineResult,
    build_world,
    import_exports,
    run_pipeline,
)
from threshold.report import DATA_HEADERS, DATA_TITLE
from threshold.synth import World, WorldConfig
from threshold.trial import lock_protocol, template

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trial(tmp_path_factory: pytest.TempPathFactory) -> tuple[World, Path, FrontDoorCheck, Path]:
    """An 88-school world with its exports imported, the clean contacts and referrals files
    then made unreadable (an analysis of the stores must never read them), and the protocol
    locked: the evaluation's, without the interaction subgroups, which need more schools."""
    directory = tmp_path_factory.mktemp("trial")
    world, _ = build_world(WorldConfig(seed=7, n_schools=88), directory / "world", messy=True)
    front_door = import_exports(world, directory / "world" / "messy", directory / "frontdoor")
    for name in ("contacts.csv", "referrals.csv"):
        (directory / "world" / name).write_text("not,a,contract\ntable\n", encoding="utf-8")
    text = template()
    cut = slice(text.index('[[subgroup]]\nname = "urban"'), text.index("[[compliance]]"))
    protocol = directory / "protocol.toml"
    protocol.write_text(text[: cut.start] + text[cut.stop :], encoding="utf-8")
    lock_protocol(protocol, software="threshold test")
    return world, directory / "world", front_door, protocol


@pytest.fixture(scope="module")
def run(trial, tmp_path_factory) -> tuple[PipelineResult, list[tuple[str, float]]]:
    _, world_dir, front_door, protocol = trial
    heard: list[tuple[str, float]] = []
    result = run_pipeline(
        PipelineConfig(
            protocol=protocol,
            tables=world_dir,
            stores=front_door.stores,
            out=tmp_path_factory.mktemp("report"),
            draws=100,
            data_notes=("A note from the caller.",),
        ),
        progress=lambda stage, fraction: heard.append((stage, fraction)),
    )
    return result, heard


def test_the_pipeline_analyses_the_stores_and_writes_the_report(run):
    result, heard = run
    assert result.results.confirmatory
    assert [path.name for path in result.files] == [
        "results.json",
        "report.md",
        "report.html",
        "report.docx",
    ]
    written = json.loads(result.files[0].read_text(encoding="utf-8"))
    assert written["estimates"][0]["coef"] == pytest.approx(result.primary.coef)
    assert written["randomisation_inference"]["draws"] == 100
    assert json.loads(json.dumps(result.to_dict(), default=str))["data"]["by_la"]
    assert [stage for stage, _ in heard] == list(STAGES)
    fractions = [fraction for _, fraction in heard]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0


def test_the_data_summary_counts_what_the_stores_hold(trial, run):
    world, _, front_door, _ = trial
    summary = run[0].data.tidy().set_index("la_code")
    for directory in front_door.stores:
        store = Store(directory)
        row = summary.loc[directory.name]
        contacts = store.table("contacts")
        assert row["contacts"] == len(contacts)
        assert row["referrals"] == len(store.table("referrals"))
        assert row["quarantined"] == store.quarantine()["record_key"].nunique()
        school = contacts[contacts["cont_contact_source_code"] == "2A"]
        assert row["links_auto"] == school["cont_source_school_urn"].notna().sum()
        assert row[["links_auto", "links_review", "links_none"]].sum() == len(school)
        queue = store.link_queue()
        waiting = 0 if queue is None else pd.to_numeric(queue["mentions"]).sum()
        assert row["links_review"] == waiting
    # the LAs' own gaps, in words, with their school years
    gaps = world.tables["data_gaps"]
    la = gaps["la_code"].iloc[0]
    assert set(gaps.loc[gaps["la_code"] == la, "school_year"]) <= set(
        summary.loc[la, "gaps"].replace(",", " ").replace(";", " ").split()
    )
    # the stores are not the world: repeated rows were quarantined, and a respelt repeat in an
    # export without contact ids was loaded as a second contact
    assert summary["quarantined"].sum() == front_door.quarantined > 0
    assert summary["contacts"].sum() == front_door.contacts != len(world.tables["contacts"])


def test_the_report_prints_the_data_section_by_la(run):
    result, _ = run
    markdown = next(p for p in result.files if p.suffix == ".md").read_text(encoding="utf-8")
    section = markdown[markdown.index(f"## {DATA_TITLE}") :].split("\n## ")[0]
    assert "| " + " | ".join(DATA_HEADERS) + " |" in section
    for row in result.data.tidy().itertuples(index=False):
        counts = (row.contacts, row.referrals, row.quarantined, row.links_auto)
        assert f"| {row.la_code} | " + " | ".join(f"{n:,}" for n in counts) in section
    assert "A note from the caller." in section
    assert "front-door stores in" in section


def test_the_imported_estimate_is_not_the_clean_one(trial, run):
    """The clean tables give another primary estimate: the run above read the stores."""
    world, _, _, protocol = trial
    clean = run_pipeline(PipelineConfig(protocol=protocol, tables=world.tables, draws=0))
    assert clean.primary.coef != pytest.approx(run[0].primary.coef, rel=1e-6)
    assert clean.files == ()
    summary = clean.data.tidy()
    assert summary["quarantined"].sum() == summary["links_review"].sum() == 0
    assert summary["contacts"].sum() == len(world.tables["contacts"])


def test_an_unlocked_protocol_is_refused_unless_exploratory(trial, tmp_path):
    world, _, _, _ = trial
    protocol = tmp_path / "protocol.toml"
    protocol.write_text(template(), encoding="utf-8")
    config = PipelineConfig(protocol=protocol, tables=world.tables, draws=0)
    with pytest.raises(InputError, match="has not been locked"):
        run_pipeline(config)
    tables = {k: v for k, v in world.tables.items() if k not in ("contacts", "referrals")}
    with pytest.raises(InputError) as error:
        run_pipeline(PipelineConfig(protocol=protocol, tables=tables, exploratory=True))
    assert str(error.value) == MSG_NO_CONTACTS


def test_a_store_given_twice_is_refused(trial):
    _, world_dir, front_door, protocol = trial
    first = front_door.stores[0]
    config = PipelineConfig(protocol=protocol, tables=world_dir, stores=(first, first), draws=0)
    contacts = Store(first).table("contacts")
    with pytest.raises(InputError) as error:
        run_pipeline(config)
    assert str(error.value) == MSG_SAME_RECORDS.format(
        count=len(contacts), table="contacts", example=contacts["cont_contact_id"].iloc[0]
    )


def test_an_unwritable_out_is_refused_before_any_work(trial, tmp_path):
    _, world_dir, front_door, protocol = trial
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    config = PipelineConfig(
        protocol=protocol, tables=world_dir, stores=front_door.stores, out=blocker / "report"
    )
    with pytest.raises(InputError) as error:
        run_pipeline(config, progress=lambda stage, _: pytest.fail(f"began {stage}"))
    reason = f"{blocker} is a file"
    assert str(error.value) == MSG_OUT.format(path=blocker / "report", reason=reason)


def test_referrals_come_through_the_ssd_extracts_as_the_measures_need_them(trial):
    """Each referral keeps its date, source, schools and, where the LA records outcomes, whether
    and when it ended in NFA; only plan outcomes merge into child in need."""
    world, _, front_door, _ = trial
    stored = pd.concat([Store(store).table("referrals") for store in front_door.stores])
    stored = stored.assign(
        cine_referral_id=stored["cine_referral_id"].str.split("-", n=1).str[1]
    ).set_index("cine_referral_id")
    truth = world.tables["referrals"].set_index("cine_referral_id").loc[stored.index]
    for column in (
        "cine_la_code",
        "cine_referral_date",
        "cine_referral_source_code",
        "cine_source_school_urn",
        "cine_child_school_urn",
    ):
        pd.testing.assert_series_equal(
            stored[column],
            truth[column],
            check_dtype=False,
            check_names=False,
            check_index_type=False,
        )
    nfa = ("nfa_at_referral", "nfa_after_assessment")
    recorded = truth["cine_referral_outcome"].notna()
    assert (
        stored.loc[recorded, "cine_referral_outcome"].isin(nfa)
        == truth.loc[recorded, "cine_referral_outcome"].isin(nfa)
    ).all()
    ended = recorded & truth["cine_referral_outcome"].isin(nfa)
    assert (stored.loc[ended, "cine_close_date"] == truth.loc[ended, "cine_close_date"]).all()
    assert stored.loc[~recorded, "cine_referral_outcome"].isna().all()
    assert len(stored) == len(world.tables["referrals"])
