"""School linkage by splink (Fellegi-Sunter, DuckDB backend) beside threshold's own linker, on
the same harsh mentions (`threshold.synth.school_names`): precision, recall, review share and
time of each (issue 17 asks for the comparison; the decision is docs/adr/0014-school-linkage.md).

Both get the same help: names normalised by `threshold.frontdoor.normalise`, non-school
mentions set aside by `NON_SCHOOL`, former names of converted academies as extra register
rows, the postcode district found in the mention. splink compares names (Jaro-Winkler levels)
and postcode districts within the LA, with u estimated by random sampling and m from the true
URNs of a separate training draw (seed + 100; expectation maximisation settles on postcode
districts instead of names here). Its best pair is an auto link when its match probability is
at least 0.002 and 20 times any other school's (probabilities are small: the prior is one
school in the whole register), and goes to review above 0.00005 (set on tuning seed 1).
Targets as for benchmarks/linkage.py (precision >= 99.8%, recall >= 98%, review <= 2%).
Needs the `bench` extra (`pip install -e '.[bench]'`).

    .venv/bin/python benchmarks/linkage_splink.py [--distinct 20000] [--seed 1] [--held-back]
"""

from __future__ import annotations

import argparse
import logging
import re
import time

import numpy as np
import pandas as pd
import splink.comparison_library as cl
from linkage import HELD_BACK, register_with_la
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from threshold.frontdoor import NON_SCHOOL, link_schools, normalise
from threshold.synth import invent_former_names, school_mentions

AUTO_PROBABILITY = 0.002
AUTO_RATIO = 20.0
REVIEW_PROBABILITY = 0.00005
_POSTCODE = re.compile(r"\b([a-z]{1,2}\d[a-z\d]?)\s*\d[a-z]{2}\b")


def district(text: str) -> str | None:
    found = _POSTCODE.findall(str(text).lower())
    return found[-1] if found else None


def splink_decisions(
    mentions: pd.DataFrame,
    training: pd.DataFrame,
    register: pd.DataFrame,
    former: pd.DataFrame,
    seed: int,
) -> pd.DataFrame:
    """mention_id, urn (auto only), decision, as splink decides them once trained (u by random
    sampling, m from the true URNs of the separate `training` mentions)."""
    names = pd.concat(
        [register[["urn", "name", "la_code", "postcode"]], former_rows(register, former)]
    )
    right = pd.DataFrame(
        {
            "unique_id": np.arange(len(names)),
            "urn": names["urn"].to_numpy(),
            "la_code": names["la_code"].to_numpy(),
            "name": names["name"].map(normalise).to_numpy(),
            "district": names["postcode"].map(district).to_numpy(),
        }
    )
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("name", [0.97, 0.94, 0.91, 0.88, 0.85, 0.8]),
            cl.ExactMatch("district"),
        ],
        blocking_rules_to_generate_predictions=[block_on("la_code")],
        probability_two_random_records_match=1 / len(register),
        retain_matching_columns=False,
        additional_columns_to_retain=["urn"],
    )
    api = DuckDBAPI()
    trainer = Linker(
        [
            api.register(as_left(training), table_name="training"),
            api.register(right, table_name="schools"),
        ],
        settings,
        log_level=logging.WARNING,
    )
    trainer.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
    trainer.training.estimate_m_from_label_column("urn")
    model = trainer.misc.save_model_to_json()
    linker = Linker(
        [
            api.register(as_left(mentions.assign(urn=pd.NA)), table_name="mentions"),
            api.register(right, table_name="register"),
        ],
        model,
        log_level=logging.WARNING,
    )
    pairs = linker.inference.predict(threshold_match_probability=1e-9).as_pandas_dataframe()
    side = "_l" if (pairs["source_dataset_l"] == "mentions").all() else "_r"
    other = "_r" if side == "_l" else "_l"
    pairs = pd.DataFrame(
        {
            "mention_id": pairs[f"unique_id{side}"],
            "urn": pairs[f"urn{other}"],
            "p": pairs["match_probability"],
        }
    )
    best = pairs.groupby(["mention_id", "urn"], as_index=False)["p"].max()
    best = best.sort_values(["mention_id", "p"], ascending=[True, False])
    first = best.groupby("mention_id").head(1).set_index("mention_id")
    ranked = best.assign(rank=best.groupby("mention_id").cumcount())
    second = ranked[ranked["rank"] == 1].set_index("mention_id")["p"]
    top = first.reindex(mentions["mention_id"])
    runner = second.reindex(mentions["mention_id"]).fillna(0.0).to_numpy()
    p = top["p"].fillna(0.0).to_numpy()
    school = ~mentions["school_name"].map(normalise).str.match(NON_SCHOOL).to_numpy()
    auto = school & (p >= AUTO_PROBABILITY) & (runner * AUTO_RATIO <= p)
    review = school & ~auto & (p >= REVIEW_PROBABILITY)
    return pd.DataFrame(
        {
            "mention_id": mentions["mention_id"].to_numpy(),
            "urn": pd.array(np.where(auto, top["urn"].to_numpy(), pd.NA), dtype="Int64"),
            "decision": np.select([auto, review], ["auto", "review"], "none"),
        }
    )


def as_left(mentions: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unique_id": np.arange(len(mentions))
            if "mention_id" not in mentions
            else mentions["mention_id"].to_numpy(),
            "urn": mentions["urn"].astype("Int64").to_numpy(),
            "la_code": mentions["la_code"].to_numpy(),
            "name": mentions["school_name"].map(normalise).to_numpy(),
            "district": mentions["school_name"].map(district).to_numpy(),
        }
    )


def former_rows(register: pd.DataFrame, former: pd.DataFrame) -> pd.DataFrame:
    today = register.set_index("urn")[["la_code", "postcode"]]
    return former.join(today, on="urn", how="inner")[["urn", "name", "la_code", "postcode"]]


def report(label: str, linked: pd.DataFrame, truth: pd.Series, seconds: float, cpu: float) -> None:
    auto = (linked["decision"] == "auto").to_numpy()
    school = truth.notna().to_numpy()
    correct = auto & (linked["urn"] == truth).fillna(False).to_numpy()
    print(
        f"[{label}] {len(linked):,} distinct mentions in {seconds:.1f} s wall, {cpu:.1f} s CPU: "
        f"precision {correct.sum() / max(auto.sum(), 1):.3%} (>= 99.8%), "
        f"recall {correct[school].mean():.3%} (>= 98%), "
        f"review {(linked['decision'] == 'review').mean():.2%} (<= 2%), "
        f"non-school auto {int((auto & ~school).sum())} (0)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--distinct", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1, help="a tuning seed (1 to 16)")
    parser.add_argument("--held-back", action="store_true", help=f"use seed {HELD_BACK}")
    args = parser.parse_args()
    seed = HELD_BACK if args.held_back else args.seed
    register = register_with_la()
    rng = np.random.default_rng(seed)
    former = invent_former_names(register, 0.3, rng)
    mentions = school_mentions(register, args.distinct, rng, former_names=former)
    mentions = mentions.drop_duplicates(["school_name", "la_code"]).reset_index(drop=True)
    mentions.insert(0, "mention_id", np.arange(len(mentions)))
    training = school_mentions(register, args.distinct, np.random.default_rng(seed + 100))
    training = training[training["urn"].notna()]
    print(f"register: {len(register):,} schools; seed {seed}; harsh noise model")
    for label, run in (
        ("threshold", lambda: link_schools(mentions, register, former_names=former)),
        ("splink", lambda: splink_decisions(mentions, training, register, former, seed)),
    ):
        cpu, started = time.process_time(), time.perf_counter()
        linked = run()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        report(label, linked, mentions["urn"], seconds, cpu)


if __name__ == "__main__":
    main()
