"""Run a protocol's analysis on contract tables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pandas as pd
from threadpoolctl import threadpool_limits

from threshold.analysis.data import AnalysisData, assemble, respondent_outcome
from threshold.analysis.impact import adjust_p_values, estimate_itt
from threshold.analysis.inference import randomisation_test
from threshold.analysis.iv import estimate_excluding_zero_dose, estimate_iv_any, estimate_iv_dose
from threshold.analysis.multilevel import estimate_multilevel, summary_note
from threshold.analysis.results import Estimate, Results
from threshold.analysis.specifications import (
    measured_variants,
    primary_options,
    robustness_estimates,
    subgroup_estimates,
)
from threshold.model import Arm
from threshold.trial import SCHOOL_CHARACTERISTICS, LockStatus, Protocol, balance_table

EXPLORATORY_NOTE = (
    "Exploratory analysis: the protocol was {state} when this analysis ran, so these results "
    "are not the pre-registered confirmatory analysis."
)


def analyse_protocol(
    tables: Mapping[str, pd.DataFrame],
    protocol: Protocol,
    lock: LockStatus,
    *,
    software: str,
    draws: int = 10_000,
) -> Results:
    """The primary and secondary ITT estimates with multiplicity adjustment, the robustness and
    subgroup analyses of the primary outcome, attrition, balance, and the primary outcome's
    randomisation-inference p-value from `draws` re-randomisations (none when `draws` is 0).
    An outcome with model = "multilevel" is estimated per DSL with schools as clusters; the
    compliance, robustness, subgroup and randomisation analyses stay at school level."""
    # Every matrix here is small (hundreds of schools, tens of regressors): BLAS threads cost
    # more to start than they save, so the plan runs on one.
    with threadpool_limits(limits=1, user_api="blas"):
        return _analyse(tables, protocol, lock, software=software, draws=draws)


def _analyse(
    tables: Mapping[str, pd.DataFrame],
    protocol: Protocol,
    lock: LockStatus,
    *,
    software: str,
    draws: int,
) -> Results:
    data = assemble(tables, protocol, measured_variants(protocol))
    estimates, multilevel_notes = [], []
    for outcome in sorted(protocol.outcomes, key=lambda o: o.role != "primary"):
        if outcome.model == "multilevel":
            estimate, fit = estimate_multilevel(
                respondent_outcome(tables, data.units, outcome),
                outcome.name,
                kind="crt",
                cluster_column="urn",
                analysis=outcome.role,
                description=outcome.description,
                alpha=protocol.alpha,
                covariates=protocol.covariates,
            )
            multilevel_notes += [summary_note(outcome.name, fit), *fit.notes]
        else:
            estimate = estimate_itt(
                data,
                outcome.name,
                analysis=outcome.role,
                description=outcome.description,
                se=protocol.standard_errors,  # type: ignore[arg-type]
                alpha=protocol.alpha,
                covariates=protocol.covariates,
                per_pupil=outcome.per_pupil,
            )
        estimates.append(estimate)
    estimates += compliance_estimates(data, protocol)
    robustness, not_estimated = robustness_estimates(tables, data, protocol)
    estimates += robustness
    subgroups, subgroups_not_estimated = subgroup_estimates(tables, data, protocol)
    estimates += subgroups
    notes = []
    if not lock.confirmatory:
        notes.append(
            EXPLORATORY_NOTE.format(
                state="changed since it was locked" if lock.state == "altered" else lock.state
            )
        )
    notes += not_estimated + subgroups_not_estimated
    notes += multilevel_notes
    primary = protocol.primary.name
    return Results(
        trial=protocol.name,
        confirmatory=lock.confirmatory,
        protocol_state=lock.state,
        protocol_sha256=lock.sha256,
        alpha=protocol.alpha,
        multiplicity=protocol.multiplicity,
        standard_errors=protocol.standard_errors,
        estimates=tuple(adjust_p_values(estimates, protocol.multiplicity)),
        attrition=attrition_table(data, primary),
        balance=analysed_balance(data, primary),
        software=software,
        notes=tuple(notes),
        distributions={o.name: distributions(data, o.name) for o in protocol.outcomes},
        randomisation=ledger_record(lock),
        randomisation_inference=(
            randomisation_test(data, primary, protocol.randomisation, draws=draws).to_dict()
            if draws
            else None
        ),
    )


def ledger_record(lock: LockStatus) -> dict[str, object] | None:
    """What the report says of the randomisation: the trial ledger's head and its last
    randomisation under a locked protocol's commitment."""
    if lock.ledger_head is None:
        return None
    bound = lock.randomisation
    keys = ("allocation", "created", "seed", "public_draw", "protocol_sha256")
    return {
        "ledger_head": lock.ledger_head.to_dict(),
        "bound": {key: bound[key] for key in keys} if bound else None,
    }


def compliance_estimates(data: AnalysisData, protocol: Protocol) -> list[Estimate]:
    """The protocol's compliance analyses of the primary outcome (excluding treatment schools
    with no session; 2SLS of dosage or any session instrumented by assignment)."""
    primary = protocol.primary
    options = primary_options(protocol)
    estimates = []
    for spec in protocol.compliance:
        if spec.kind == "exclude_zero_dose":
            estimate = estimate_excluding_zero_dose(data, primary.name, **options)
        elif spec.kind == "iv_dose":
            estimate = estimate_iv_dose(
                data, primary.name, maximum=float(spec.settings["maximum"]), **options
            )
        else:
            estimate = estimate_iv_any(data, primary.name, **options)
        estimates.append(replace(estimate, description=spec.description))
    return estimates


def distributions(data: AnalysisData, outcome: str) -> dict[str, list[float]]:
    """The analysed schools' values of an outcome, by arm."""
    units, values = data.units, data.outcomes[outcome]["y"]
    sample = ~units["withdrawn"].astype(bool) & values.notna()
    return {
        arm.value: values[sample & (units["arm"] == arm)].astype(float).tolist()
        for arm in (Arm.TREATMENT, Arm.CONTROL)
    }


def attrition_table(data: AnalysisData, outcome: str) -> pd.DataFrame:
    """Randomised, withdrawn, missing the outcome, and analysed, by arm (a CONSORT-style flow)."""
    units = data.units
    observed = data.outcomes[outcome]["y"].notna()
    rows = []
    for arm in (Arm.TREATMENT, Arm.CONTROL):
        in_arm = units["arm"] == arm
        withdrawn = in_arm & units["withdrawn"].astype(bool)
        analysed = in_arm & ~units["withdrawn"].astype(bool) & observed
        rows.append(
            {
                "arm": arm.value,
                "randomised": int(in_arm.sum()),
                "withdrawn": int(withdrawn.sum()),
                "missing_outcome": int((in_arm & ~withdrawn & ~observed).sum()),
                "analysed": int(analysed.sum()),
                "pct_analysed": 100 * analysed.sum() / max(int(in_arm.sum()), 1),
            }
        )
    table = pd.DataFrame(rows)
    total = table.drop(columns=["arm", "pct_analysed"]).sum()
    total_row = {
        "arm": "total",
        **total.to_dict(),
        "pct_analysed": 100 * total["analysed"] / max(total["randomised"], 1),
    }
    return pd.concat([table, pd.DataFrame([total_row])], ignore_index=True)


def analysed_balance(data: AnalysisData, outcome: str) -> pd.DataFrame:
    """Balance of school characteristics between arms in the analysed sample."""
    units = data.units
    sample = ~units["withdrawn"].astype(bool) & data.outcomes[outcome]["y"].notna()
    present = [c for c in SCHOOL_CHARACTERISTICS if c in units.columns]
    return balance_table(units[sample], units.loc[sample, "arm"], present)
