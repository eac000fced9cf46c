"""The pre-registered analysis plan (a TOML protocol), its checking, and its lock.

`threshold protocol template` prints the evaluation's plan as a starting point. Locking records
the protocol's SHA-256 in the trial ledger beside it; the analysis refuses a protocol that is
unlocked, or altered since it was locked, unless it is run as exploratory — and then says so.
Locking with the units file commits the randomisation: the lock keeps the plan's text and the
units file's SHA-256, and the seed will come from them and the public draw the plan names.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Literal

from threshold.model import InputError, OutcomeMeasure
from threshold.trial.ledger import (
    PROTOCOL_LOCK,
    RANDOMISATION,
    LedgerHead,
    append_entry,
    chain_failures,
    head,
    read_entries,
    relative,
    sha256,
)
from threshold.trial.randomisation import RandomisationSpec, check_units, read_units

MSG_UNREADABLE = "{path}: cannot read the protocol ({reason})"
MSG_INVALID = "{path} is not a valid protocol:\n- {problems}"
MSG_UNLOCKED = (
    "{path} has not been locked: lock it with `threshold protocol lock {path}` before the "
    "analysis, or run the analysis as exploratory"
)
MSG_ALTERED = (
    "{path} has changed since it was locked on {when} (SHA-256 {actual}, locked {locked}); "
    "the confirmatory analysis must use the locked plan, or run as exploratory"
)
MSG_ALREADY_LOCKED = "{path} is already locked (on {when}); nothing to do"
MSG_AMENDMENT = (
    "{path} was locked on {when} and has changed since; locking the changed plan is an "
    'amendment: rerun with --amend --reason "…" and it is recorded as one'
)
MSG_LEDGER_TAMPERED = "the trial ledger beside {path} has been tampered with:\n- {problems}"
MSG_NO_DRAW = (
    "{path}: committing the randomisation needs [randomisation] public_draw (a public draw held "
    "after the lock, e.g. a named lottery draw) and public_draw_numbers (how many numbers it gives)"
)
MSG_DRAW = (
    "randomisation.public_draw and public_draw_numbers: give both (a text naming a public draw "
    "held after the lock, and how many whole numbers it gives, at least 1) or neither"
)

Role = Literal["primary", "secondary"]
SUBGROUP_KINDS = ("windows", "interaction")
COMPLIANCE_KINDS = ("exclude_zero_dose", "iv_dose", "iv_any")
ROBUSTNESS_KINDS = (
    "binary",
    "poisson",
    "complete_case",
    "alternative_baseline",
    "weights",
    "covariates",
    "fixed_effects",
    "exclude",
)
STANDARD_ERRORS = ("hc1", "hc2", "hc3", "classical", "cluster")
EFFECT_SIZES = ("glass", "hedges")
MULTIPLICITY = ("hochberg", "holm", "bonferroni", "none")
OUTCOME_MODELS = ("ols", "multilevel")
"""`ols`: the school-level model; `multilevel`: a wellbeing outcome per DSL, schools as clusters."""

Window = tuple[dt.date, dt.date]


@dataclass(frozen=True)
class Outcome:
    name: str
    role: Role
    measure: OutcomeMeasure
    per_pupil: bool
    window: Window | None
    baseline_window: Window | None
    observed_by: dt.date | None
    description: str
    model: str = "ols"


@dataclass(frozen=True)
class Specification:
    """A subgroup, compliance or robustness analysis: a name, a kind and its settings."""

    name: str
    kind: str
    settings: dict[str, object]
    description: str


@dataclass(frozen=True)
class PublicDraw:
    """The public draw, held after the lock, whose numbers seed the randomisation."""

    description: str
    numbers: int


@dataclass(frozen=True)
class Protocol:
    name: str
    registration: str
    unit: str
    unit_id: str
    randomisation: RandomisationSpec
    alpha: float
    sides: Literal["one", "two"]
    standard_errors: str
    effect_size: str
    multiplicity: str
    covariates: tuple[str, ...]
    outcomes: tuple[Outcome, ...]
    subgroups: tuple[Specification, ...] = field(default=())
    compliance: tuple[Specification, ...] = field(default=())
    robustness: tuple[Specification, ...] = field(default=())
    public_draw: PublicDraw | None = None

    @property
    def primary(self) -> Outcome:
        return next(o for o in self.outcomes if o.role == "primary")


@dataclass(frozen=True)
class LockStatus:
    """Whether a protocol is locked: `state` is `locked`, `unlocked` or `altered`; the ledger's
    head, and its last randomisation under a locked protocol's commitment, if any."""

    state: Literal["locked", "unlocked", "altered"]
    sha256: str
    locked_at: str | None
    exploratory: bool = False
    ledger_head: LedgerHead | None = None
    randomisation: dict[str, object] | None = None

    @property
    def confirmatory(self) -> bool:
        return self.state == "locked" and not self.exploratory


def template() -> str:
    """The evaluation's protocol, as a starting point for a new trial."""
    return files("threshold.trial").joinpath("evaluation_protocol.toml").read_text(encoding="utf-8")


def load_protocol(path: Path) -> Protocol:
    """Read and check a protocol; InputError lists every problem with its key."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise InputError(MSG_UNREADABLE.format(path=path, reason=error)) from None
    return parse_protocol(raw, source=str(path))


def parse_protocol(raw: dict[str, object], *, source: str = "protocol") -> Protocol:
    """Build a Protocol from parsed TOML, checking every field."""
    check = _Checker()
    trial = check.table(raw, "trial")
    randomisation = check.table(raw, "randomisation")
    analysis = check.table(raw, "analysis")
    spec = None
    try:
        spec = RandomisationSpec(
            unit=check.text(trial, "trial.unit_id"),
            method=check.choice(
                randomisation, "randomisation.method", ("alternating", "blocked", "complete")
            ),
            block_by=tuple(check.texts(randomisation, "randomisation.block_by", default=[])),
            median_split=check.text(randomisation, "randomisation.median_split", required=False),
            cluster=check.text(randomisation, "randomisation.cluster", required=False),
            ratio=tuple(randomisation.get("ratio", [1, 1])),  # type: ignore[arg-type]
        )
    except InputError as error:
        check.problems.append(f"randomisation: {error}")
    arms = check.texts(trial, "trial.arms", default=["treatment", "control"])
    if sorted(arms) != ["control", "treatment"]:
        check.problems.append('trial.arms: must be ["treatment", "control"]')
    alpha = analysis.get("alpha", 0.05)
    if not isinstance(alpha, float) or not 0 < alpha < 0.5:
        check.problems.append(f"analysis.alpha: {alpha!r} must be a number between 0 and 0.5")
    outcomes = tuple(
        check.outcome(item, f"outcome[{i}]") for i, item in enumerate(check.items(raw, "outcome"))
    )
    roles = [o.role for o in outcomes if o is not None]
    if (primaries := roles.count("primary")) != 1:
        check.problems.append(
            f'outcome: exactly one must have role = "primary" (found {primaries})'
        )
    specifications = {
        key: tuple(
            check.specification(item, f"{key}[{i}]", kinds)
            for i, item in enumerate(check.items(raw, key))
        )
        for key, kinds in (
            ("subgroup", SUBGROUP_KINDS),
            ("compliance", COMPLIANCE_KINDS),
            ("robustness", ROBUSTNESS_KINDS),
        )
    }
    names = [o.name for o in outcomes if o] + [
        s.name for group in specifications.values() for s in group if s
    ]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        check.problems.append(f"names must be unique; repeated: {', '.join(repeated)}")
    protocol_fields = {
        "standard_errors": check.choice(
            analysis, "analysis.standard_errors", STANDARD_ERRORS, default="hc1"
        ),
        "effect_size": check.choice(
            analysis, "analysis.effect_size", EFFECT_SIZES, default="glass"
        ),
        "multiplicity": check.choice(
            analysis, "analysis.multiplicity", MULTIPLICITY, default="hochberg"
        ),
        "sides": check.choice(analysis, "analysis.sides", ("one", "two"), default="two"),
    }
    public_draw = None
    description, numbers = (randomisation.get(k) for k in ("public_draw", "public_draw_numbers"))
    if description is not None or numbers is not None:
        if not (isinstance(description, str) and description.strip()) or not (
            isinstance(numbers, int) and not isinstance(numbers, bool) and numbers > 0
        ):
            check.problems.append(MSG_DRAW)
        else:
            public_draw = PublicDraw(description, numbers)
    if check.problems:
        raise InputError(MSG_INVALID.format(path=source, problems="\n- ".join(check.problems)))
    assert spec is not None
    return Protocol(
        name=check.text(trial, "trial.name"),
        registration=str(trial.get("registration", "")),
        unit=str(trial.get("unit", "unit")),
        unit_id=spec.unit,
        randomisation=spec,
        alpha=float(alpha),  # type: ignore[arg-type]
        covariates=tuple(check.texts(analysis, "analysis.covariates", default=[])),
        outcomes=outcomes,  # type: ignore[arg-type]
        subgroups=specifications["subgroup"],  # type: ignore[arg-type]
        compliance=specifications["compliance"],  # type: ignore[arg-type]
        robustness=specifications["robustness"],  # type: ignore[arg-type]
        public_draw=public_draw,
        **protocol_fields,  # type: ignore[arg-type]
    )


def lock_protocol(
    path: Path,
    *,
    software: str,
    amendment: str | None = None,
    units: Path | None = None,
    now: dt.datetime | None = None,
) -> dict[str, object]:
    """Check the protocol and record its hash in the trial ledger beside it. Locking a plan that
    changed after an earlier lock is an amendment and needs its reason, which is recorded.

    With `units` (the table to randomise, checked against the plan's randomisation) the lock
    commits the randomisation: it records the units file's SHA-256 and keeps the plan's text. A
    plan locked without units may be locked again with them, once."""
    protocol = load_protocol(path)
    commitment: dict[str, object] = {}
    if units is not None:
        if protocol.public_draw is None:
            raise InputError(MSG_NO_DRAW.format(path=path))
        table = read_units(units)
        try:
            check_units(table, protocol.randomisation)
        except InputError as error:
            raise InputError(f"{units}: {error}") from None
        commitment = {
            "units": relative(units, path.parent),
            "units_sha256": sha256(units.read_bytes()),
            "text": path.read_bytes().decode("utf-8"),
        }
    status = protocol_status(path)
    committed = committing_lock(path.parent, status.sha256) is not None
    if status.state == "locked" and (units is None or committed):
        raise InputError(MSG_ALREADY_LOCKED.format(path=path, when=status.locked_at))
    if status.state == "altered" and not (amendment and amendment.strip()):
        raise InputError(MSG_AMENDMENT.format(path=path, when=status.locked_at))
    record = {
        "protocol": relative(path, path.parent),
        "sha256": status.sha256,
        "software": software,
        "amendment": amendment if status.state == "altered" else None,
        **commitment,
    }
    return append_entry(path.parent, PROTOCOL_LOCK, record, now=now)


def committing_lock(directory: Path, protocol_sha256: str) -> dict[str, object] | None:
    """The last lock in the trial ledger in `directory` of the protocol with this SHA-256 that
    commits its randomisation (None: no such lock)."""
    return next(
        (
            e
            for e in reversed(read_entries(directory, PROTOCOL_LOCK))
            if e["sha256"] == protocol_sha256 and "units_sha256" in e
        ),
        None,
    )


def protocol_status(path: Path, *, exploratory: bool = False) -> LockStatus:
    """Whether `path` is locked as it is now, unlocked, or altered since its last lock."""
    failures = chain_failures(path.parent)
    if failures:
        raise InputError(MSG_LEDGER_TAMPERED.format(path=path, problems="\n- ".join(failures)))
    actual = sha256(path.read_bytes())
    locks = [
        e
        for e in read_entries(path.parent, PROTOCOL_LOCK)
        if e["protocol"] == relative(path, path.parent)
    ]
    bound = [e for e in read_entries(path.parent, RANDOMISATION) if e.get("protocol_sha256")]
    ledger = {"ledger_head": head(path.parent), "randomisation": bound[-1] if bound else None}
    if not locks:
        return LockStatus("unlocked", actual, None, exploratory, **ledger)
    if any(e["sha256"] == actual for e in locks):
        when = next(e["created"] for e in locks if e["sha256"] == actual)
        return LockStatus("locked", actual, str(when), exploratory, **ledger)
    return LockStatus("altered", actual, str(locks[-1]["created"]), exploratory, **ledger)


def require_locked(path: Path, *, exploratory: bool = False) -> LockStatus:
    """The lock status for an analysis: confirmatory analyses need a locked, unaltered protocol."""
    status = protocol_status(path, exploratory=exploratory)
    if exploratory or status.state == "locked":
        return status
    if status.state == "unlocked":
        raise InputError(MSG_UNLOCKED.format(path=path))
    locks = read_entries(path.parent, PROTOCOL_LOCK)
    raise InputError(
        MSG_ALTERED.format(
            path=path,
            when=status.locked_at,
            actual=status.sha256[:12],
            locked=str(locks[-1]["sha256"])[:12],
        )
    )


class _Checker:
    """Collects every problem in a protocol rather than stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def table(self, raw: dict[str, object], key: str) -> dict[str, object]:
        value = raw.get(key)
        if not isinstance(value, dict):
            self.problems.append(f"[{key}]: the table is missing")
            return {}
        return value

    def items(self, raw: dict[str, object], key: str) -> list[dict[str, object]]:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problems.append(f"[[{key}]]: must be an array of tables")
            return []
        return value

    def text(self, table: dict[str, object], key: str, *, required: bool = True) -> str:
        value = table.get(key.rsplit(".", 1)[-1])
        if value is None and not required:
            return None  # type: ignore[return-value]
        if not isinstance(value, str) or not value.strip():
            self.problems.append(
                f"{key}: {'is required' if value is None else f'{value!r} must be text'}"
            )
            return ""
        return value

    def texts(self, table: dict[str, object], key: str, *, default: list[str]) -> list[str]:
        value = table.get(key.rsplit(".", 1)[-1], default)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problems.append(f"{key}: {value!r} must be a list of text")
            return []
        return value

    def choice(
        self,
        table: dict[str, object],
        key: str,
        allowed: tuple[str, ...],
        *,
        default: str | None = None,
    ) -> str:
        value = table.get(key.rsplit(".", 1)[-1], default)
        if value not in allowed:
            self.problems.append(f"{key}: {value!r} must be one of: {', '.join(allowed)}")
            return allowed[0]
        return str(value)

    def date(self, table: dict[str, object], key: str) -> dt.date | None:
        return self.date_value(table.get(key.rsplit(".", 1)[-1]), key)

    def date_value(self, value: object, key: str) -> dt.date | None:
        if value is None:
            return None
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.problems.append(f"{key}: {value!r} is not a date written YYYY-MM-DD")
            return None

    def window(self, table: dict[str, object], key: str) -> Window | None:
        return self.window_value(table.get(key.rsplit(".", 1)[-1]), key)

    def window_value(self, value: object, key: str) -> Window | None:
        if value is None:
            return None
        if not (isinstance(value, list) and len(value) == 2):
            self.problems.append(f"{key}: must be [first day, last day]")
            return None
        first, last = (self.date_value(v, f"{key}[{i}]") for i, v in enumerate(value))
        if first and last and last < first:
            self.problems.append(f"{key}: ends ({last}) before it starts ({first})")
        return (first, last) if first and last else None

    def outcome(self, item: dict[str, object], key: str) -> Outcome | None:
        name = self.text(item, f"{key}.name")
        role = self.choice(item, f"{key}.role", ("primary", "secondary"))
        measure = self.choice(item, f"{key}.measure", OutcomeMeasure.values())
        window = self.window(item, f"{key}.window")
        wellbeing = measure in (
            OutcomeMeasure.ANXIETY_CONTENTMENT,
            OutcomeMeasure.DEPRESSION_ENTHUSIASM,
        )
        if window is None and not wellbeing:
            self.problems.append(
                f"{key}.window: a front-door outcome needs its window [first day, last day]"
            )
        observed_by = self.date(item, f"{key}.observed_by")
        model = self.choice(item, f"{key}.model", OUTCOME_MODELS, default="ols")
        if model == "multilevel" and not wellbeing:
            self.problems.append(
                f"{key}.model: multilevel needs an outcome measured on each DSL (a wellbeing "
                "measure); front-door outcomes are per school: use ols"
            )
        if measure == OutcomeMeasure.REFERRAL_NFA and observed_by is None:
            self.problems.append(
                f"{key}.observed_by: referral NFA needs the date outcomes are observed by"
            )
        return Outcome(
            name=name,
            role=role,  # type: ignore[arg-type]
            measure=OutcomeMeasure(measure),
            per_pupil=bool(item.get("per_pupil", not wellbeing)),
            window=window,
            baseline_window=self.window(item, f"{key}.baseline_window"),
            observed_by=observed_by,
            description=str(item.get("description", "")),
            model=model,
        )

    def specification(
        self, item: dict[str, object], key: str, kinds: tuple[str, ...]
    ) -> Specification:
        name = self.text(item, f"{key}.name")
        kind = self.choice(item, f"{key}.kind", kinds)
        settings = {k: v for k, v in item.items() if k not in ("name", "kind", "description")}
        for setting in ("window", "baseline_window"):
            if setting in settings:
                self.window(item, f"{key}.{setting}")
        windows = settings.get("windows", [])
        for index, window in enumerate(windows if isinstance(windows, list) else [windows]):
            self.window_value(window, f"{key}.windows[{index}]")
        needs = {
            "interaction": "variable",
            "weights": "variable",
            "fixed_effects": "variable",
            "iv_dose": "maximum",
            "covariates": "variables",
            "windows": "windows",
            "exclude": "values",
        }
        if kind in needs and needs[kind] not in settings:
            self.problems.append(f"{key}: kind {kind!r} needs `{needs[kind]}`")
        return Specification(name, kind, settings, str(item.get("description", "")))
