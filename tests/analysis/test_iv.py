"""fit_iv against Stata's `ivregress 2sls` and `estat firststage`, linearmodels and its own rules;
the compliance analyses on a synthetic world."""

from __future__ import annotations

import json
import re
import tomllib
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from linearmodels.iv import IV2SLS

from threshold.analysis import AnalysisData, assemble, estimate_itt
from threshold.analysis.iv import (
    ANALYSIS_EXCLUDING,
    MSG_FRAME_INDEX,
    MSG_MAXIMUM,
    MSG_NO_ENDOGENOUS,
    MSG_NO_VARIATION,
    MSG_NOT_IDENTIFIED,
    MSG_UNDERIDENTIFIED,
    estimate_excluding_zero_dose,
    estimate_iv_any,
    estimate_iv_dose,
    fit_iv,
)
from threshold.analysis.ols import (
    MSG_CLUSTERS_REQUIRED,
    MSG_DROPPED_TERM,
    MSG_DUPLICATE_NAME,
    MSG_MISSING,
    MSG_UNKNOWN_SE,
)
from threshold.model import InputError
from threshold.synth import Effects, WorldConfig, synthesise
from threshold.trial import parse_protocol, randomise_as_evaluated, template

DATA = Path(__file__).resolve().parents[1] / "data"
STATA_SE = {"classical": "classical", "small": "classical", "rob": "hc1", "cl": "cluster"}
STATA_SE["cluster(cyl)"] = "cluster"


def printed(text: str, rel: float = 0.0) -> pytest.approx:
    """A number as Stata printed it: equal to within half a unit of its last digit (or `rel`)."""
    decimals = -Decimal(text).as_tuple().exponent
    return pytest.approx(float(text), rel=rel, abs=0.5 * 10.0**-decimals)


def mtcars(storage: str = "float") -> tuple[pd.DataFrame, pd.Series]:
    """estimatr's do-file: `import delimited mtcars.csv` stores mpg, drat and wt as floats, and
    `gen w = drat / 5` stores a float too; hp, am, gear and cyl are whole numbers."""
    cars = pd.read_csv(DATA / "estimatr_mtcars.csv")
    if storage == "double":
        return cars, cars["drat"] / 5
    single = cars.assign(**{c: cars[c].astype(np.float32).astype(float) for c in ("mpg", "wt")})
    drat = cars["drat"].astype(np.float32).astype(float)
    return single, (drat / 5).astype(np.float32).astype(float)


def stata_estimates() -> list[list[str]]:
    """`ivregress 2sls mpg (hp am = wt gear) [aweight = w], small vce(...)`: model, Var(hp),
    Var(am), Var(_cons), F, r2, r2_a, rmse, as printed (first line blank)."""
    lines = (DATA / "estimatr_stata-iv-ests.txt").read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t") for line in lines if line.strip()]
    assert len(rows) == 6
    return rows


def stata_first_stages() -> list[list[str]]:
    """`estat firststage, all` rows: formula; weights; options; weakN; df1; df2; F; p."""
    lines = (DATA / "estimatr_stata-iv-diagnostics.txt").read_text(encoding="utf-8").splitlines()
    rows = [line.split(";") for line in lines if ";weak" in line]
    assert len(rows) == 60
    return rows


@pytest.mark.parametrize("storage", ["float", "double"])
@pytest.mark.parametrize("row", stata_estimates(), ids=lambda row: row[0])
def test_variances_f_and_fit_equal_stata_ivregress(row, storage):
    """With Stata's float data every printed digit agrees (8 significant digits, 4 for Var(hp));
    with the data in double, to 1e-6 relative."""
    model, var_hp, var_am, var_cons, f, r2, r2_a, rmse = row
    se = STATA_SE[model.removesuffix("_w")]
    cars, w = mtcars(storage)
    rel = 0.0 if storage == "float" else 1e-6
    weights = w if model.endswith("_w") else None
    fit = fit_iv(
        cars["mpg"],
        cars[[]],
        cars[["hp", "am"]],
        cars[["wt", "gear"]],
        se=se,
        clusters=cars["cyl"] if se == "cluster" else None,
        weights=weights,
    )
    assert fit.terms == ("_cons", "hp", "am")
    assert fit.vcov[1, 1] == printed(var_hp, rel)
    assert fit.vcov[2, 2] == printed(var_am, rel)
    assert fit.vcov[0, 0] == printed(var_cons, rel)
    wald = fit.coef[1:] @ np.linalg.solve(fit.vcov[1:, 1:], fit.coef[1:]) / 2
    assert wald == printed(f, rel)  # Stata's model F: checks the coefficients too
    assert fit.r2 == printed(r2, rel)
    assert fit.r2_adj == printed(r2_a, rel)
    resid = cars["mpg"] - cars[["hp", "am"]].to_numpy() @ fit.coef[1:] - fit.coef[0]
    normalised = np.ones(32) if weights is None else weights * 32 / weights.sum()
    assert np.sqrt(normalised @ resid**2 / (32 - 3)) == printed(rmse, rel)
    assert fit.df_resid == (2 if se == "cluster" else 29)


@pytest.mark.parametrize("row", stata_first_stages(), ids=lambda row: ";".join(row[:4]))
def test_first_stage_f_equals_stata_estat_firststage(row):
    """Every `weakN` row (the N-th endogenous regressor's first-stage F) of the four formulas,
    three variance types, ± constant, ± weights: F to every printed digit (8 significant), p to
    its printed digits. Stata's first stage does not depend on `small`, so `rob` (run without
    it) is compared too."""
    formula, weight, options, test, df1, df2, f, p = row
    exog, endog, instruments = re.fullmatch(r"([\w ]*)\(([\w ]+) = ([\w ]+)\)", formula).groups()
    se = STATA_SE[options.removesuffix(" noconstant")]
    cars, w = mtcars()
    fit = fit_iv(
        cars["mpg"],
        cars[exog.split()],
        cars[endog.split()],
        cars[instruments.split()],
        se=se,
        clusters=cars["cyl"] if se == "cluster" else None,
        weights=w if weight else None,
        constant=not options.endswith("noconstant"),
    )
    stage = fit.first_stages[int(test.removeprefix("weak")) - 1]
    assert stage.endogenous == endog.split()[int(test.removeprefix("weak")) - 1]
    assert (stage.df_num, stage.df_denom) == (int(df1), int(df2))
    assert stage.f_stat == printed(f)
    assert stage.p_value == printed(p)


def random_iv(seed: int = 5, n: int = 240):
    """Two endogenous regressors, three instruments, covariates on very different scales,
    heteroskedastic errors, positive weights and 17 unequal clusters."""
    rng = np.random.default_rng(seed)
    z = pd.DataFrame(
        {
            "z1": rng.standard_normal(n),
            "z2": rng.gamma(2, 1, n),
            "z3": (rng.random(n) < 0.5).astype(float),
        }
    )
    u = rng.standard_normal(n)
    exog = pd.DataFrame({"rate": rng.gamma(2, 0.0025, n), "pupils": rng.normal(1000, 250, n)})
    endog = pd.DataFrame(
        {
            "d1": z["z1"] + 0.5 * z["z2"] + u + rng.standard_normal(n),
            "d2": (z["z3"] + 0.3 * z["z1"] + rng.standard_normal(n) > 0.5).astype(float),
        }
    )
    y = pd.Series(
        1 + 2 * endog["d1"] - endog["d2"] + 300 * exog["rate"] + u * (1 + z["z3"]), name="y"
    )
    return y, exog, endog, z, rng.gamma(3, 1, n), rng.integers(0, 17, n)


LINEARMODELS_COV = {"classical": "unadjusted", "hc1": "robust", "cluster": "clustered"}


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("se", ["classical", "hc1", "cluster"])
def test_equals_linearmodels_debiased(se, weighted):
    """linearmodels' IV2SLS(debiased=True) has the same estimates, variances and first stages;
    its t tests use N - K df with clusters too (Stata and fit_iv: G - 1), and it reports a
    robust first stage's Wald statistic as chi-squared (q times fit_iv's F)."""
    y, exog, endog, z, weights, clusters = random_iv()
    w = weights if weighted else None
    g = clusters if se == "cluster" else None
    fit = fit_iv(y, exog, endog, z, se=se, clusters=g, weights=w)
    exog_const = exog.assign(const=1.0)[["const", "rate", "pupils"]]
    reference = IV2SLS(y, exog_const, endog, z, weights=w).fit(
        cov_type=LINEARMODELS_COV[se], debiased=True, **({} if g is None else {"clusters": g})
    )
    np.testing.assert_allclose(fit.coef, reference.params, rtol=1e-9)
    np.testing.assert_allclose(fit.vcov, reference.cov, rtol=1e-9)
    assert fit.r2 == pytest.approx(reference.rsquared, rel=1e-9)
    assert fit.r2_adj == pytest.approx(reference.rsquared_adj, rel=1e-9)
    if se != "cluster":
        np.testing.assert_allclose(fit.tidy()["p_value"], reference.pvalues, rtol=1e-9)
        np.testing.assert_allclose(
            fit.tidy()[["ci_low", "ci_high"]], reference.conf_int(), rtol=1e-9
        )
    assert fit.df_resid == (16 if se == "cluster" else 240 - 5)
    diagnostics = reference.first_stage.diagnostics
    for stage in fit.first_stages:
        individual = reference.first_stage.individual[stage.endogenous]
        np.testing.assert_allclose(stage.coef, individual.params[["z1", "z2", "z3"]], rtol=1e-9)
        np.testing.assert_allclose(stage.se, individual.std_errors[["z1", "z2", "z3"]], rtol=1e-9)
        q = 1 if se == "classical" else 3
        wald = diagnostics.loc[stage.endogenous, "f.stat"]
        assert q * stage.f_stat == pytest.approx(wald, rel=1e-9)


def test_collinear_exogenous_columns_and_instruments_are_dropped_and_reported():
    y, exog, endog, z, _, _ = random_iv()
    fit = fit_iv(y, exog.assign(again=exog["rate"] * 7), endog, z.assign(z4=z["z1"] - z["z2"]))
    plain = fit_iv(y, exog, endog, z)
    assert fit.dropped == ("again",)
    assert fit.dropped_instruments == ("z4",)
    assert fit.instruments == ("z1", "z2", "z3")
    assert fit.terms == plain.terms == ("_cons", "rate", "pupils", "d1", "d2")
    np.testing.assert_allclose(fit.coef, plain.coef, rtol=1e-10)
    np.testing.assert_allclose(fit.se, plain.se, rtol=1e-10)
    with pytest.raises(InputError, match=re.escape(MSG_DROPPED_TERM.format(term="again"))):
        fit.estimate("again")


def test_tidy_estimate_and_to_dict_agree():
    y, exog, endog, z, _, _ = random_iv()
    fit = fit_iv(y, exog, endog, z, alpha=0.1)
    treat = fit.tidy().set_index("term").loc["d1"]
    assert fit.estimate("d1") == tuple(treat[["coef", "se", "p_value", "ci_low", "ci_high"]])
    as_json = json.loads(json.dumps(fit.to_dict()))
    assert as_json["endogenous"] == ["d1", "d2"]
    assert as_json["instruments"] == ["z1", "z2", "z3"]
    assert as_json["first_stages"][1]["f_stat"] == fit.first_stages[1].f_stat
    assert as_json["first_stages"][0]["coef"] == list(fit.first_stages[0].coef)
    assert as_json["estimates"][3]["coef"] == fit.coef[3]


def test_first_stage_f_is_missing_when_instruments_outnumber_clusters_less_one():
    y, exog, endog, z, _, _ = random_iv()
    fit = fit_iv(y, exog, endog, z, se="cluster", clusters=np.arange(240) % 3)
    assert np.isnan(fit.first_stages[0].f_stat)
    assert fit.to_dict()["first_stages"][0]["f_stat"] is None
    assert not np.isnan(fit.first_stages[0].se[0])


Y, EXOG, ENDOG, Z, _, _ = random_iv(n=40)
for _frame in (Y, EXOG, ENDOG, Z):
    _frame.index = pd.RangeIndex(100, 140)
ORTHOGONAL = pd.DataFrame(
    {"d": np.tile([1.0, -1.0], 20), "z": np.repeat([1.0, -1.0], 20)}, index=Y.index
)
ERRORS = {
    "unknown se": (
        {"se": "hc3"},
        MSG_UNKNOWN_SE.format(se="hc3", choices=["classical", "hc1", "cluster"]),
    ),
    "cluster without clusters": ({"se": "cluster"}, MSG_CLUSTERS_REQUIRED),
    "missing endogenous value": (
        {"endog": ENDOG.assign(d2=ENDOG["d2"].where(ENDOG.index != 107))},
        MSG_MISSING.format(column="d2", row=107),
    ),
    "missing outcome": ({"y": Y.where(Y.index != 103)}, MSG_MISSING.format(column="y", row=103)),
    "no endogenous regressor": ({"endog": ENDOG[[]]}, MSG_NO_ENDOGENOUS),
    "constant endogenous regressor": (
        {"endog": ENDOG.assign(d2=0.0)},
        MSG_NO_VARIATION.format(name="d2"),
    ),
    "endogenous regressor spanned by exogenous ones": (
        {"endog": ENDOG.assign(d1=2 * EXOG["rate"] + 1)},
        MSG_NO_VARIATION.format(name="d1"),
    ),
    "too few instruments": ({"instruments": Z[["z1"]]}, MSG_UNDERIDENTIFIED.format(k=2, m=1)),
    "instrument spanned by exogenous ones": (
        {"instruments": Z.assign(z2=EXOG["pupils"], z3=1.0)},
        MSG_UNDERIDENTIFIED.format(k=2, m=1),
    ),
    "instrument unrelated to the endogenous regressor": (
        {"endog": ORTHOGONAL[["d"]], "instruments": ORTHOGONAL[["z"]], "exog": EXOG[[]]},
        MSG_NOT_IDENTIFIED.format(names="d"),
    ),
    "endog indexed differently": (
        {"endog": ENDOG.reset_index(drop=True)},
        MSG_FRAME_INDEX.format(what="endog"),
    ),
    "an instrument named like a regressor": (
        {"instruments": Z.rename(columns={"z1": "rate"})},
        MSG_DUPLICATE_NAME.format(name="rate"),
    ),
}


@pytest.mark.parametrize(("changes", "message"), ERRORS.values(), ids=ERRORS.keys())
def test_bad_input_is_refused_with_its_message(changes, message):
    arguments = {"y": Y, "exog": EXOG, "endog": ENDOG, "instruments": Z} | changes
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        fit_iv(**arguments)


def world_data(effects: Effects | None = None) -> AnalysisData:
    config = WorldConfig(seed=31, **({} if effects is None else {"effects": effects}))
    world = synthesise(config, randomise_as_evaluated)
    return assemble(world.tables, parse_protocol(tomllib.loads(template())))


@pytest.fixture(scope="module")
def data() -> AnalysisData:
    return world_data()


@pytest.mark.parametrize("se", ["hc1", "classical", "cluster"])
@pytest.mark.parametrize("received", ["dosage", "any_session"])
def test_just_identified_iv_is_the_itt_over_the_first_stage(data, received, se):
    itt = estimate_itt(data, "nfa_contacts", se=se)
    if received == "dosage":
        iv = estimate_iv_dose(data, "nfa_contacts", maximum=8, se=se)
    else:
        iv = estimate_iv_any(data, "nfa_contacts", se=se)
    spec = iv.specification
    assert iv.coef == pytest.approx(itt.coef / spec["first_stage_coef"], rel=1e-9)
    assert spec["itt_coef"] == itt.coef
    assert spec["endogenous"] == received
    assert spec["first_stage_f"] > 100  # sessions follow assignment closely
    assert spec["first_stage_df"] == [1, itt.specification["df_resid"]]
    assert (iv.n_treatment, iv.n_control, iv.control, iv.treatment) == (
        itt.n_treatment,
        itt.n_control,
        itt.control,
        itt.treatment,
    )
    assert iv.dropped == itt.dropped == ("baseline_missing",)
    assert iv.glass_delta == pytest.approx(iv.coef / spec["control_sd"], rel=1e-12)
    assert iv.glass_ci_high == pytest.approx(iv.ci_high / spec["control_sd"], rel=1e-12)
    assert iv.pct_point == pytest.approx(100 * iv.coef)
    assert iv.hedges_g == pytest.approx(itt.hedges_g * iv.coef / itt.coef, rel=1e-9)
    json.dumps(iv.to_dict())


def test_iv_dose_equals_linearmodels_on_the_evaluation_design(data):
    """An independent fit: dosage on assignment, the baseline (zero where missing) and block
    dummies; the missing-baseline dummy is spanned by the blocks of the LAs without baseline."""
    estimate = estimate_iv_dose(data, "nfa_contacts", maximum=8)
    units, outcome = data.units, data.outcomes["nfa_contacts"]
    sample = ~units["withdrawn"] & outcome["y"].notna()
    exog = pd.concat(
        [
            pd.Series(1.0, index=units.index[sample], name="const"),
            outcome.loc[sample, "baseline"].fillna(0),
            pd.get_dummies(units.loc[sample, "block"], dtype=float, drop_first=True),
        ],
        axis=1,
    )
    dosage = units.loc[sample, "sessions_held"] / 8
    reference = IV2SLS(outcome.loc[sample, "y"], exog, dosage, units.loc[sample, "treated"]).fit(
        cov_type="robust", debiased=True
    )
    assert estimate.coef == pytest.approx(reference.params["sessions_held"], rel=1e-9)
    assert estimate.se == pytest.approx(reference.std_errors["sessions_held"], rel=1e-9)
    assert estimate.p_value == pytest.approx(reference.pvalues["sessions_held"], rel=1e-9)
    first = reference.first_stage.individual["sessions_held"]
    assert estimate.specification["first_stage_coef"] == pytest.approx(first.params["treated"])
    assert estimate.specification["first_stage_f"] == pytest.approx(first.tstats["treated"] ** 2)


def test_excluding_zero_dose_drops_the_treatment_schools_with_no_session(data):
    itt = estimate_itt(data, "nfa_contacts")
    excluded = estimate_excluding_zero_dose(data, "nfa_contacts")
    units = data.units
    analysed = ~units["withdrawn"] & data.outcomes["nfa_contacts"]["y"].notna()
    zero = analysed & (units["treated"] == 1) & (units["sessions_held"] == 0)
    assert zero.sum() > 10
    assert excluded.n_treatment == itt.n_treatment - zero.sum()
    assert excluded.n_control == itt.n_control
    assert excluded.analysis == ANALYSIS_EXCLUDING
    same = estimate_itt(data, "nfa_contacts", include=~zero)
    assert excluded.coef == same.coef
    assert excluded.se == same.se
    restricted = estimate_excluding_zero_dose(
        data, "nfa_contacts", include=units["block"] != units["block"].iloc[0]
    )
    assert restricted.n_treatment < excluded.n_treatment


def test_with_a_true_effect_the_iv_dose_estimate_is_larger_than_the_itt():
    """Take-up is partial, so per full programme (dosage 1) the effect exceeds the ITT, and per
    school with any session it lies between."""
    effective = world_data(Effects(nfa_contacts=0.5))
    itt = estimate_itt(effective, "nfa_contacts")
    dose = estimate_iv_dose(effective, "nfa_contacts", maximum=8)
    any_session = estimate_iv_any(effective, "nfa_contacts")
    assert itt.coef < 0
    assert abs(dose.coef) > abs(any_session.coef) > abs(itt.coef)


@pytest.mark.parametrize("maximum", [0, -8, float("nan"), float("inf")])
def test_a_maximum_that_is_not_positive_is_refused(data, maximum):
    message = MSG_MAXIMUM.format(value=maximum)
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        estimate_iv_dose(data, "nfa_contacts", maximum=maximum)


def test_a_trial_without_sessions_cannot_be_instrumented(data):
    no_sessions = AnalysisData(
        units=data.units.assign(sessions_held=0, any_session=0.0), outcomes=data.outcomes
    )
    with pytest.raises(InputError, match=re.escape(MSG_NO_VARIATION.format(name="dosage"))):
        estimate_iv_dose(no_sessions, "nfa_contacts", maximum=8)
    with pytest.raises(InputError, match=re.escape(MSG_NO_VARIATION.format(name="any_session"))):
        estimate_iv_any(no_sessions, "nfa_contacts")
