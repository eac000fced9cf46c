"""No seed shopping: a trial is randomised under its locked protocol's commitment (the plan and
the units file, hashed at the lock, and a public draw held after it), and `verify` recomputes the
seed and the allocation from the lock, so a rewritten or appended ledger line is caught."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from threshold.model import InputError
from threshold.trial import (
    derive_seed,
    lock_protocol,
    randomise_committed,
    randomise_file,
    template,
    verify_allocation,
)
from threshold.trial.allocation import (
    MSG_BESIDE_PROTOCOL,
    MSG_COMMITMENT_USED,
    MSG_NO_COMMITMENT,
    MSG_NOT_LOCKED,
    MSG_NOT_REPRODUCED,
    MSG_RANDOMISED_TWICE,
    MSG_SEED_NOT_COMMITTED,
    MSG_SPEC_NOT_COMMITTED,
    MSG_TRIAL_LEDGER,
    MSG_UNBOUND_IN_TRIAL,
    MSG_UNITS_NOT_COMMITTED,
    draw_numbers,
)
from threshold.trial.ledger import LEDGER_NAME, head, sha256
from threshold.trial.protocol import (
    MSG_ALREADY_LOCKED,
    MSG_DRAW,
    MSG_NO_DRAW,
    PublicDraw,
    RandomisationSpec,
    parse_protocol,
)

THRESHOLD = Path(sys.executable).parent / "threshold"
DRAW = "04, 10, 21, 33, 41, 55 (bonus 17)"
NUMBERS = [4, 10, 21, 33, 41, 55, 17]


def _fixed(message: str) -> str:
    """A pattern matching the longest fixed text of a message constant (between placeholders)."""
    return re.escape(max(re.split(r"\{[^}]*\}", message), key=len))


@pytest.fixture
def trial(tmp_path) -> Path:
    """A trial directory with a units file and the evaluation's protocol, locked with the units."""
    pd.DataFrame(
        {
            "urn": range(990001, 990025),
            "la_code": ["981"] * 12 + ["982"] * 12,
            "pct_fsm": [float(i % 7) * 5 for i in range(24)],
        }
    ).to_csv(tmp_path / "schools.csv", index=False)
    (tmp_path / "protocol.toml").write_text(template(), encoding="utf-8")
    lock_protocol(tmp_path / "protocol.toml", software="test", units=tmp_path / "schools.csv")
    return tmp_path


def _randomise(trial: Path, draw: str = DRAW):
    return randomise_committed(
        trial / "schools.csv",
        trial / "protocol.toml",
        draw=draw,
        out=trial / "allocation.csv",
        software="test",
    )


def _rewrite_last_line(trial: Path, **changes: object) -> None:
    """Forge the last ledger line: apply `changes`, regenerate the allocation from the line's
    seed and spec (with the tool, elsewhere) and record the new allocation's hash; the chain
    before the line is untouched."""
    ledger = trial / LEDGER_NAME
    lines = ledger.read_text().splitlines(keepends=True)
    entry = {**json.loads(lines[-1]), **changes}
    forgery = trial.parent / f"{trial.name}-forgery" / "allocation.csv"
    forgery.parent.joinpath(LEDGER_NAME).unlink(missing_ok=True)
    randomise_file(
        trial / "schools.csv",
        RandomisationSpec.from_dict(entry["spec"]),
        seed=int(entry["seed"]),
        out=forgery,
        software="forger",
    )
    content = forgery.read_bytes()
    (trial / "allocation.csv").write_bytes(content)
    entry["output_sha256"] = sha256(content)
    lines[-1] = json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n"
    ledger.write_text("".join(lines))


def test_the_seed_comes_from_the_lock_and_the_draw_and_verifies(trial):
    done = _randomise(trial)
    lock = json.loads((trial / LEDGER_NAME).read_text().splitlines()[0])
    assert lock["units_sha256"] == sha256((trial / "schools.csv").read_bytes())
    assert lock["sha256"] == sha256(lock["text"].encode())
    assert done.entry["public_draw"] == NUMBERS
    assert done.entry["protocol_sha256"] == lock["sha256"]
    assert done.entry["seed"] == derive_seed(lock["sha256"], lock["units_sha256"], NUMBERS)
    assert done.head == head(trial)
    verified = verify_allocation(trial / "allocation.csv")
    assert verified.entry == done.entry
    assert verified.draw is not None
    assert "Lotto" in verified.draw.description
    assert verified.head.entries == 2


def test_the_seed_can_be_recomputed_with_standard_tools(trial):
    """A statistician or an LA can check the seed with sha256sum, without Threshold."""
    done = _randomise(trial)
    message = " ".join([str(done.entry["protocol_sha256"]), str(done.entry["input_sha256"])])
    message += " " + " ".join(map(str, NUMBERS))
    digest = subprocess.run(
        ["sha256sum"], input=message.encode(), capture_output=True, check=True
    ).stdout.decode()
    assert done.entry["seed"] == int(digest[:16], 16)


@given(
    separators=st.lists(st.sampled_from([" ", ", ", "-", " and ", "; "]), min_size=6, max_size=6),
    padded=st.booleans(),
)
def test_how_the_draw_is_written_cannot_change_the_seed(separators, padded):
    """Only the numbers count, so retyping the draw's punctuation offers no seeds to shop among."""
    cells = [f"{n:02d}" if padded else str(n) for n in NUMBERS]
    text = cells[0] + "".join(sep + cell for sep, cell in zip(separators, cells[1:], strict=True))
    assert draw_numbers(text, PublicDraw("a draw", 7)) == tuple(NUMBERS)


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(forged=st.integers(min_value=0, max_value=2**64 - 1))
def test_a_forged_re_randomisation_is_caught(trial, forged):
    """The issue's attack: rewrite the last ledger line with a new seed, regenerate the
    allocation and record its new hash. The chain still holds; the commitment does not."""
    ledger = trial / LEDGER_NAME
    ledger.unlink(missing_ok=True)
    (trial / "allocation.csv").unlink(missing_ok=True)
    lock_protocol(trial / "protocol.toml", software="test", units=trial / "schools.csv")
    done = _randomise(trial)
    if forged == done.entry["seed"]:
        return
    _rewrite_last_line(trial, seed=forged)
    with pytest.raises(InputError) as caught:
        verify_allocation(trial / "allocation.csv")
    message = str(caught.value)
    assert MSG_SEED_NOT_COMMITTED.split("{")[0] + str(forged) in message
    assert MSG_NOT_REPRODUCED.format(path=trial / "allocation.csv") in message
    assert "hash chain broken" not in message


def test_a_forged_plan_is_caught(trial):
    done = _randomise(trial)
    _rewrite_last_line(trial, spec={**done.entry["spec"], "median_split": None})  # type: ignore[dict-item]
    with pytest.raises(InputError, match=_fixed(MSG_SPEC_NOT_COMMITTED)):
        verify_allocation(trial / "allocation.csv")


def test_a_forged_draw_changes_the_ledger_head_everyone_was_shown(trial):
    """Rewriting the draw's numbers and re-deriving the seed passes the local checks — the draw
    is public, so verify prints the numbers to check against it — but not the head printed at
    randomisation, nor the published draw."""
    done = _randomise(trial)
    entry = done.entry
    forged = [1, 2, 3, 4, 5, 6, 7]
    seed = derive_seed(str(entry["protocol_sha256"]), str(entry["input_sha256"]), forged)
    _rewrite_last_line(trial, public_draw=forged, seed=seed)
    verified = verify_allocation(trial / "allocation.csv")
    assert verified.entry["public_draw"] == forged
    assert verified.head.entries == done.head.entries
    assert verified.head.sha256 != done.head.sha256


def test_an_appended_second_randomisation_is_caught(trial):
    _randomise(trial)
    ledger = trial / LEDGER_NAME
    text = ledger.read_text()
    entry = json.loads(text.splitlines()[-1])
    entry["previous_sha256"] = sha256(text.encode())
    ledger.write_text(text + json.dumps(entry, sort_keys=True) + "\n")
    with pytest.raises(InputError, match=_fixed(MSG_RANDOMISED_TWICE)):
        verify_allocation(trial / "allocation.csv")


def test_turning_the_randomisation_into_an_exploratory_one_is_caught(trial):
    _randomise(trial)
    _rewrite_last_line(trial, protocol_sha256=None, public_draw=None, seed=99, exploratory=True)
    with pytest.raises(InputError, match=_fixed(MSG_UNBOUND_IN_TRIAL)):
        verify_allocation(trial / "allocation.csv")


def test_randomising_twice_is_refused_and_an_amendment_makes_it_visible(trial):
    first = _randomise(trial)
    with pytest.raises(InputError, match=_fixed(MSG_COMMITMENT_USED)):
        _randomise(trial, draw="1 2 3 4 5 6 7")
    protocol = trial / "protocol.toml"
    protocol.write_text(
        protocol.read_text().replace("4 September 2021", "11 September 2021"), encoding="utf-8"
    )
    lock_protocol(
        protocol, software="test", units=trial / "schools.csv", amendment="wrong school list"
    )
    second = _randomise(trial, draw="1 2 3 4 5 6 7")
    assert second.entry["supersedes"] == first.entry["output_sha256"]
    assert second.entry["seed"] != first.entry["seed"]
    assert verify_allocation(trial / "allocation.csv").entry == second.entry
    amendment = json.loads((trial / LEDGER_NAME).read_text().splitlines()[2])
    assert amendment["amendment"] == "wrong school list"


def test_randomise_refuses_without_a_commitment(tmp_path, trial):
    units, protocol = trial / "schools.csv", trial / "protocol.toml"
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "protocol.toml").write_text(template(), encoding="utf-8")
    with pytest.raises(InputError, match=_fixed(MSG_NOT_LOCKED)):
        randomise_committed(
            units, plain / "protocol.toml", draw=DRAW, out=plain / "a.csv", software="test"
        )
    lock_protocol(plain / "protocol.toml", software="test")
    with pytest.raises(InputError, match=_fixed(MSG_NO_COMMITMENT)):
        randomise_committed(
            units, plain / "protocol.toml", draw=DRAW, out=plain / "a.csv", software="test"
        )
    with pytest.raises(InputError, match=_fixed(MSG_BESIDE_PROTOCOL)):
        randomise_committed(units, protocol, draw=DRAW, out=plain / "a.csv", software="test")
    with pytest.raises(InputError, match="gives 7 number"):
        _randomise(trial, draw="4 10 21")
    units.write_text(units.read_text().replace("981", "983", 1))
    with pytest.raises(InputError, match=_fixed(MSG_UNITS_NOT_COMMITTED)):
        _randomise(trial)


def test_an_exploratory_randomisation_is_refused_in_a_trials_ledger(trial):
    with pytest.raises(InputError, match=_fixed(MSG_TRIAL_LEDGER)):
        randomise_file(
            trial / "schools.csv",
            RandomisationSpec(unit="urn"),
            seed=1,
            out=trial / "mine.csv",
            software="test",
        )


def test_the_lock_checks_the_units_and_needs_a_public_draw(tmp_path, trial):
    protocol = tmp_path / "p" / "protocol.toml"
    protocol.parent.mkdir()
    text = template()
    protocol.write_text(
        "\n".join(line for line in text.splitlines() if not line.startswith("public_draw")) + "\n"
    )
    with pytest.raises(InputError, match=_fixed(MSG_NO_DRAW)):
        lock_protocol(protocol, software="test", units=trial / "schools.csv")
    protocol.write_text(text)
    bad = tmp_path / "bad.csv"
    bad.write_text("urn,la_code\n1,981\n")
    with pytest.raises(InputError, match="no column 'pct_fsm'"):
        lock_protocol(protocol, software="test", units=bad)
    assert not (protocol.parent / LEDGER_NAME).exists()


def test_cli_locks_randomises_under_the_commitment_and_verifies(tmp_path):
    pd.DataFrame(
        {"urn": range(1, 13), "la_code": ["981"] * 12, "pct_fsm": [float(i) for i in range(12)]}
    ).to_csv(tmp_path / "schools.csv", index=False)
    protocol = tmp_path / "protocol.toml"
    protocol.write_text(template(), encoding="utf-8")

    def threshold(*args: object) -> subprocess.CompletedProcess:
        return subprocess.run(
            [THRESHOLD, *map(str, args)], capture_output=True, text=True, cwd=tmp_path
        )

    refused = threshold("randomise", "schools.csv", "--seed", "3")
    assert refused.returncode == 2
    assert "--exploratory" in refused.stderr
    lock = threshold("protocol", "lock", protocol, "--units", "schools.csv")
    assert lock.returncode == 0, lock.stderr
    assert "Committed the randomisation" in lock.stdout
    mixed = threshold("randomise", "schools.csv", "--protocol", protocol, "--seed", "3")
    assert mixed.returncode == 2
    assert "leave out --seed" in mixed.stderr
    done = threshold("randomise", "schools.csv", "--protocol", protocol, "--draw", DRAW)
    assert done.returncode == 0, done.stderr
    printed_head = str(head(tmp_path))
    assert printed_head in done.stdout
    verify = threshold("randomise", "verify", tmp_path / "allocation.csv")
    assert verify.returncode == 0, verify.stderr
    assert "public draw 4 10 21 33 41 55 17" in verify.stdout
    assert printed_head in verify.stdout
    _rewrite_last_line(tmp_path, seed=12345)
    forged = threshold("randomise", "verify", tmp_path / "allocation.csv")
    assert forged.returncode == 2
    assert "is not the one the lock's commitment gives" in forged.stderr
    assert "Traceback" not in forged.stderr


def test_a_plan_locked_without_units_commits_them_once(tmp_path, trial):
    protocol = tmp_path / "later" / "protocol.toml"
    protocol.parent.mkdir()
    protocol.write_text(template(), encoding="utf-8")
    lock_protocol(protocol, software="test")
    lock_protocol(protocol, software="test", units=trial / "schools.csv")
    with pytest.raises(InputError, match=_fixed(MSG_ALREADY_LOCKED)):
        lock_protocol(protocol, software="test", units=trial / "schools.csv")
    done = randomise_committed(
        trial / "schools.csv", protocol, draw=DRAW, out=protocol.parent / "a.csv", software="t"
    )
    assert verify_allocation(done.path).entry == done.entry


@pytest.mark.parametrize(
    ("settings", "valid"),
    [
        ({"public_draw": "a lottery draw next week", "public_draw_numbers": 6}, True),
        ({"public_draw": "a lottery draw next week"}, False),
        ({"public_draw_numbers": 6}, False),
        ({"public_draw": " ", "public_draw_numbers": 6}, False),
        ({"public_draw": "a draw", "public_draw_numbers": 0}, False),
        ({"public_draw": "a draw", "public_draw_numbers": True}, False),
    ],
)
def test_the_public_draw_is_stated_whole_or_not_at_all(settings, valid):
    raw = tomllib.loads(template())
    for key in ("public_draw", "public_draw_numbers"):
        raw["randomisation"].pop(key)
    raw["randomisation"].update(settings)
    if valid:
        assert parse_protocol(raw).public_draw == PublicDraw("a lottery draw next week", 6)
    else:
        with pytest.raises(InputError, match=re.escape(MSG_DRAW)):
            parse_protocol(raw)
