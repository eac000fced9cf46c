"""The messy LA exports look like real ones, and nothing in the world is a real school."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from threshold.synth.messy import mangle_school_name, write_messy_exports

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def messy(worlds, tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    directory = tmp_path_factory.mktemp("messy")
    world = worlds[0]
    write_messy_exports(
        world.tables["contacts"], world.tables["schools"], directory, np.random.default_rng(1)
    )
    return directory, world.tables["contacts"]


def _read(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    text = raw[3:].decode("utf-8") if raw.startswith(b"\xef\xbb\xbf") else raw.decode("cp1252")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_one_file_per_la_with_its_own_headers_and_encodings(messy):
    directory, contacts = messy
    files = sorted(directory.glob("contacts_*.csv"))
    assert {f.stem.split("_")[1] for f in files} == set(contacts["cont_la_code"])
    headers = {tuple(_read(f)[0]) for f in files}
    assert len(headers) >= 3
    assert (
        "Child Unique ID",
        "Date of Contact",
        "Contact Source",
        "Referring School",
        "Contact Outcome",
        "Child's School URN",
    ) in headers
    boms = [f.read_bytes().startswith(b"\xef\xbb\xbf") for f in files]
    assert sum(boms) == 1
    with pytest.raises(UnicodeDecodeError):  # Windows-1252 bytes are not UTF-8
        b"".join(f.read_bytes() for f, bom in zip(files, boms, strict=True) if not bom).decode(
            "utf-8"
        )


def test_truth_accounts_for_every_row_including_duplicates(messy):
    directory, contacts = messy
    truth = pd.read_csv(directory / "truth.csv", dtype={"la_code": str})
    for path in directory.glob("contacts_*.csv"):
        rows = _read(path)[1:]
        assert len(rows) == (truth["file"] == path.name).sum()
    assert truth["cont_contact_id"].isin(contacts["cont_contact_id"]).all()
    duplicated = truth["cont_contact_id"].duplicated().mean()
    assert 0.005 < duplicated < 0.03


def test_free_text_school_names_carry_realistic_errors(messy):
    directory, contacts = messy
    truth = pd.read_csv(directory / "truth.csv", keep_default_na=False)
    school_rows = truth[truth["urn"] != ""]
    names = contacts.drop_duplicates("cont_source_school_urn").set_index("cont_source_school_urn")[
        "cont_source_school_name"
    ]
    register_name = school_rows["urn"].astype(int).map(names)
    differs = (school_rows["school_text"] != register_name).mean()
    assert 0.3 < differs < 0.8
    non_school = school_rows["school_text"].isin(
        ["Unknown", "Home educated", "not in school", "N/A", "EHE", "Not known"]
    )
    assert 0.01 < non_school.mean() < 0.06


def test_dates_come_in_more_than_one_format_per_file(messy):
    directory, _ = messy
    path = sorted(directory.glob("contacts_*.csv"))[0]
    rows = _read(path)[1:]
    shapes = {re.sub(r"\d", "9", re.sub(r"[A-Za-z]{3}", "Mon", row[1])) for row in rows}
    assert len(shapes) >= 2


@pytest.mark.parametrize("seed", range(5))
def test_mangled_names_keep_enough_to_recognise(seed):
    rng = np.random.default_rng(seed)
    name = "St Mary's Church of England High School"
    variants = [mangle_school_name(name, "Dunsmere", "QC1 2AB", rng) for _ in range(200)]
    assert len(set(variants)) > 20
    assert variants.count(name) > 10  # many are typed correctly
    assert np.mean(["mar" in v.lower() for v in variants]) > 0.9  # a typo can hit any word


def test_nothing_is_attributable_to_a_real_school(worlds):
    register = pd.read_csv(
        DATA / "gias_open_schools_2025-07-11.csv", dtype=str, keep_default_na=False
    )
    real_towns = set(register["town"].str.lower())
    real_pairs = set(zip(register["name"].str.lower(), register["town"].str.lower(), strict=True))
    for world in worlds:
        schools = world.tables["schools"]
        assert schools["urn"].between(990000, 999999).all()
        assert not schools["urn"].astype(str).isin(register["urn"]).any()
        assert schools["la_code"].astype(int).between(981, 991).all()
        assert schools["postcode"].str.startswith("Q").all()
        assert not schools["town"].str.lower().isin(real_towns).any()
        pairs = set(zip(schools["name"].str.lower(), schools["town"].str.lower(), strict=True))
        assert not pairs & real_pairs
        assert not world.tables["local_authorities"]["la_name"].str.lower().isin(real_towns).any()
