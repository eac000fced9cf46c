"""The multilevel model: eefAnalytics' effect-size definitions recomputed by hand from the
fitted variance components, the refusals of degenerate designs, flat-table mode and protocol
mode (a wellbeing outcome per DSL with model = "multilevel")."""

from __future__ import annotations

import json
import math
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.regression.mixed_linear_model import MixedLM
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from typer.testing import CliRunner

from threshold.analysis import analyse_protocol, analyse_table, fit_multilevel, flat, multilevel
from threshold.cli import app
from threshold.model import InputError, SurveyWave
from threshold.surveys import score_responses
from threshold.synth import WorldConfig, synthesise
from threshold.trial import LockStatus, parse_protocol, randomise_as_evaluated, template

DATA = Path(__file__).resolve().parents[1] / "data"
Z = 1.959963984540054


@pytest.fixture(scope="module")
def crt() -> pd.DataFrame:
    return pd.read_csv(DATA / "eefAnalytics_crtData.csv")


@pytest.fixture(scope="module")
def mst() -> pd.DataFrame:
    return pd.read_csv(DATA / "eefAnalytics_mstData.csv")


def fit(frame: pd.DataFrame, kind: str, **options):
    return fit_multilevel(
        frame["Posttest"],
        frame[["Intervention", "Prettest"]],
        frame["School"],
        kind=kind,
        term="Intervention",
        **options,
    )


@pytest.fixture(scope="module")
def crt_fit(crt):
    return fit(crt, "crt")


@pytest.fixture(scope="module")
def mst_fit(mst):
    return fit(mst, "mst")


def hedges_2007(beta, var_within, var_total, icc, treated, schools):
    """Hedges (2007) d_W and d_T with their 95% CIs for unequal clusters, written out from the
    paper's (and crtFREQ's documented) formulas cluster by cluster."""
    sizes = {
        arm: pd.Series(schools[treated == arm]).value_counts().to_numpy(float) for arm in (1, 0)
    }
    n_t, n_c = sizes[1], sizes[0]
    N_t, N_c = n_t.sum(), n_c.sum()
    N, M = N_t + N_c, len(n_t) + len(n_c)
    n_tilde = N_c * (n_t**2).sum() / (N_t * N) + N_t * (n_c**2).sum() / (N_c * N)
    d_w = beta / math.sqrt(var_within)
    v_w = (N_t + N_c) / (N_t * N_c) * (1 + (n_tilde - 1) * icc) / (1 - icc) + d_w**2 / (2 * (N - M))
    u_t = (N_t**2 - (n_t**2).sum()) / (N_t * (len(n_t) - 1))
    u_c = (N_c**2 - (n_c**2).sum()) / (N_c * (len(n_c) - 1))
    d_t = beta / math.sqrt(var_total)
    d_t *= math.sqrt(1 - icc * (N - u_t * len(n_t) - u_c * len(n_c) + u_t + u_c - 2) / (N - 2))
    B = u_t * (len(n_t) - 1) + u_c * (len(n_c) - 1)
    A = sum(
        (S**2 * (n**2).sum() + (n**2).sum() ** 2 - 2 * S * (n**3).sum()) / S**2
        for n, S in ((n_t, N_t), (n_c, N_c))
    )
    v_t = (N_t + N_c) / (N_t * N_c) * (1 + (n_tilde - 1) * icc) + (
        (N - 2) * (1 - icc) ** 2 + A * icc**2 + 2 * B * icc * (1 - icc)
    ) * d_t**2 / (2 * (N - 2) * (N - 2 - icc * (N - 2 - B)))
    return (
        (d_w, d_w - Z * math.sqrt(v_w), d_w + Z * math.sqrt(v_w)),
        (d_t, d_t - Z * math.sqrt(v_t), d_t + Z * math.sqrt(v_t)),
    )


def test_crt_effect_sizes_are_hedges_2007_on_the_fitted_variances(crt, crt_fit):
    treated, schools = crt["Intervention"].to_numpy(), crt["School"].to_numpy()
    for components, effects in (
        (crt_fit.conditional, crt_fit.effect_conditional),
        (crt_fit.unconditional, crt_fit.effect_unconditional),
    ):
        assert components.icc == pytest.approx(components.between / components.total, rel=1e-12)
        assert components.total == pytest.approx(components.between + components.within)
        within, total = hedges_2007(
            crt_fit.coef, components.within, components.total, components.icc, treated, schools
        )
        assert tuple(effects.within) == pytest.approx(within, rel=1e-10)
        assert tuple(effects.total) == pytest.approx(total, rel=1e-10)


def test_mst_effect_sizes_and_total_variance_follow_mstfreq(mst, mst_fit):
    c = mst_fit.conditional
    share = mst["Intervention"].mean()
    total = c.between + c.within + share * (c.treatment + 2 * c.covariance)
    assert c.total == pytest.approx(total, rel=1e-12)
    assert c.icc == pytest.approx((c.between + c.treatment + 2 * c.covariance) / total)
    counts = pd.crosstab(mst["School"], mst["Intervention"])
    both = counts[(counts[0] > 0) & (counts[1] > 0)]
    harmonic = both[1] * both[0] / (both[1] + both[0])
    N, M = len(mst), len(counts)
    for scale, effect in ((c.within, mst_fit.effect_conditional.within), (c.total, None)):
        g = mst_fit.coef / math.sqrt(scale)
        variance = 1 / (scale / (c.treatment + c.within / harmonic)).sum() + g**2 / (2 * N - 4 * M)
        expected = (g, g - Z * math.sqrt(variance), g + Z * math.sqrt(variance))
        got = effect or mst_fit.effect_conditional.total
        assert tuple(got) == pytest.approx(expected, rel=1e-10)
    u = mst_fit.unconditional
    within, total = hedges_2007(
        mst_fit.coef,
        u.within,
        u.total,
        u.icc,
        mst["Intervention"].to_numpy(),
        mst["School"].to_numpy(),
    )
    assert tuple(mst_fit.effect_unconditional.within) == pytest.approx(within, rel=1e-10)
    assert tuple(mst_fit.effect_unconditional.total) == pytest.approx(total, rel=1e-10)


def test_fixed_effect_ci_and_p_are_wald(crt_fit):
    assert crt_fit.ci_low == pytest.approx(crt_fit.coef - Z * crt_fit.se, rel=1e-12)
    assert crt_fit.ci_high == pytest.approx(crt_fit.coef + Z * crt_fit.se, rel=1e-12)
    assert crt_fit.p_value == pytest.approx(0.0101311894, rel=1e-6)
    assert crt_fit.n == 265
    assert crt_fit.n_clusters == 22


def test_boundary_fit_is_reported_in_the_notes(mst_fit):
    assert any("boundary" in note for note in mst_fit.notes)


def small(seed: int = 3, clusters: int = 8, size: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    school = np.repeat(np.arange(clusters), size)
    treated = (school % 2).astype(float)
    effect = rng.normal(0, 1, clusters)[school]
    post = 10 + 2 * treated + effect + rng.normal(0, 1, len(school))
    return pd.DataFrame({"School": school, "Intervention": treated, "Prettest": 0.0}).assign(
        Posttest=post, Prettest=rng.normal(0, 1, len(school))
    )


@pytest.mark.parametrize(
    ("change", "kind", "message"),
    [
        (lambda f: f[f["School"].isin([0, 1])], "crt", "at least 2 clusters in each arm"),
        (lambda f: f.assign(Posttest=5.0), "crt", "takes one value"),
        (lambda f: f.assign(Intervention=f["Intervention"] * 2), "crt", "code it 1"),
        (lambda f: f.assign(Prettest=f["Prettest"].where(f.index != 3)), "crt", "1 missing"),
        (
            lambda f: f.assign(School=f["School"].astype(object).where(f.index != 7, " ")),
            "crt",
            "is blank",
        ),
        (lambda f: f.assign(Intervention=(f.index % 2).astype(float)), "crt", "holds both arms"),
        (lambda f: f, "mst", "no site in"),
        (lambda f: f.drop_duplicates("School"), "crt", "clusters with more than one unit"),
        (lambda f: f[f["School"] == 0].assign(Intervention=[0.0, 1.0] * 3), "mst", "at least 2"),
    ],
    ids=[
        "one-cluster-per-arm",
        "no-variation",
        "treatment-codes",
        "missing-covariate",
        "blank-cluster",
        "mixed-crt",
        "no-mixed-site",
        "singletons",
        "one-site",
    ],
)
def test_degenerate_designs_are_refused(change, kind, message):
    frame = change(small()).reset_index(drop=True)
    with pytest.raises(InputError, match=message):
        fit(frame, kind)


def test_unknown_design_is_refused():
    with pytest.raises(InputError, match="use crt"):
        fit(small(), "rct")


def test_a_fit_that_does_not_converge_is_an_error_not_a_number(monkeypatch):
    fitted = MixedLM.fit

    def failing(self, *args, **kwargs):
        result = fitted(self, *args, **kwargs)
        warnings.warn(
            "Maximum Likelihood optimization failed to converge.", ConvergenceWarning, stacklevel=2
        )
        return result

    monkeypatch.setattr(MixedLM, "fit", failing)
    with pytest.raises(InputError, match="did not converge"):
        fit(small(), "crt")


def test_flat_mode_reports_the_multilevel_fields(crt, crt_fit):
    results = analyse_table(
        crt,
        arm="Intervention",
        treatment="1",
        outcome="Posttest",
        covariates=("Prettest",),
        cluster="School",
        multilevel="crt",
        software="test",
    )
    e = results.primary
    assert e.coef == pytest.approx(crt_fit.coef, rel=1e-12)
    assert e.se == pytest.approx(crt_fit.se, rel=1e-12)
    spec = e.specification
    assert spec["cluster"] == "School"
    assert spec["icc"] == pytest.approx(crt_fit.conditional.icc, rel=1e-12)
    within = spec["effect_size_conditional"]["within"]
    assert within["estimate"] == pytest.approx(crt_fit.effect_conditional.within.estimate)
    assert results.standard_errors == flat.MULTILEVEL_SE
    assert any(
        note.startswith("Posttest: multilevel model (cluster-randomised") for note in results.notes
    )
    json.dumps(results.to_dict())


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"multilevel": "crt"}, flat.MSG_MULTILEVEL_CLUSTER.format(design="crt")),
        (
            {"multilevel": "crt", "cluster": "School", "se": "hc1"},
            flat.MSG_MULTILEVEL_SE.format(se="hc1"),
        ),
        ({"multilevel": "xyz", "cluster": "School"}, multilevel.MSG_DESIGN.format(design="xyz")),
    ],
)
def test_flat_mode_refuses_incomplete_multilevel_options(crt, options, message):
    with pytest.raises(InputError) as error:
        analyse_table(
            crt, arm="Intervention", treatment="1", outcome="Posttest", software="t", **options
        )
    assert str(error.value) == message


def test_flat_mode_names_the_row_of_a_blank_cluster(crt):
    frame = crt.assign(School=crt["School"].astype(object))
    frame.loc[4, "School"] = None
    with pytest.raises(InputError) as error:
        analyse_table(
            frame,
            arm="Intervention",
            treatment="1",
            outcome="Posttest",
            cluster="School",
            multilevel="crt",
            software="t",
        )
    assert str(error.value) == flat.MSG_CLUSTER_BLANK.format(path="table", row=5, column="School")


def test_cli_writes_the_multilevel_estimate(tmp_path, mst):
    table = tmp_path / "mst.csv"
    mst.to_csv(table, index=False)
    result = CliRunner().invoke(
        app,
        [
            "analyse",
            "--table",
            str(table),
            "--arm",
            "Intervention",
            "--treatment",
            "1",
            "--outcome",
            "Posttest",
            "--baseline",
            "Prettest",
            "--cluster",
            "School",
            "--multilevel",
            "mst",
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "out" / "results.json").read_text())
    spec = written["estimates"][0]["specification"]
    assert spec["design"] == "mst"
    assert spec["variance_conditional"]["treatment"] > 0
    assert "multilevel model (multisite" in (tmp_path / "out" / "report.md").read_text()


def multilevel_protocol(outcome: str = "anxiety_contentment") -> str:
    marker = f'measure = "{outcome}"\n'
    return template().replace(marker, marker + 'model = "multilevel"\n', 1)


def test_protocol_accepts_multilevel_only_for_outcomes_measured_on_each_dsl():
    protocol = parse_protocol(tomllib.loads(multilevel_protocol()))
    models = {o.name: o.model for o in protocol.outcomes}
    assert models["anxiety_contentment"] == "multilevel"
    assert models["nfa_contacts"] == "ols"
    with pytest.raises(InputError, match=r"model: multilevel needs an outcome measured on each"):
        parse_protocol(tomllib.loads(multilevel_protocol("nfa_contacts")))


def test_protocol_mode_fits_the_dsl_level_model_with_schools_as_clusters():
    world = synthesise(WorldConfig(seed=31), randomise_as_evaluated)
    protocol = parse_protocol(tomllib.loads(multilevel_protocol()))
    results = analyse_protocol(
        world.tables,
        protocol,
        LockStatus("locked", "a" * 64, "2026-01-01T00:00:00+00:00"),
        software="test",
        draws=0,
    )
    estimate = next(e for e in results.estimates if e.outcome == "anxiety_contentment")
    assert estimate.specification["design"] == "crt"
    assert estimate.specification["cluster"] == "urn"
    # the same model built independently from the raw responses: score, link by token, join arm
    responses = score_responses(world.tables["survey_responses"])
    scale = "anxiety_contentment"
    endline = responses[responses["wave"] == SurveyWave.ENDLINE]
    before = responses[responses["wave"] == SurveyWave.BASELINE].set_index("respondent_token")
    allocation = world.tables["allocations"].set_index("urn")
    rows = endline[endline["urn"].isin(allocation.index)].copy()
    rows["baseline"] = rows["respondent_token"].map(before[scale])
    rows = rows[rows[scale].notna()]
    rows = rows[allocation.loc[rows["urn"], "withdrawn_on"].isna().to_numpy()]
    treated = (allocation.loc[rows["urn"], "arm"] == "treatment").to_numpy(float)
    blocks = pd.get_dummies(
        allocation.loc[rows["urn"], "block"].astype(str).to_numpy(), dtype=float
    ).iloc[:, 1:]
    design = pd.DataFrame({"treated": treated, "baseline": rows["baseline"].fillna(0).to_numpy()})
    design = pd.concat([design, blocks], axis=1)
    if rows["baseline"].isna().any():
        design["baseline_missing"] = rows["baseline"].isna().to_numpy(float)
    # this world's wellbeing scores barely cluster: REML puts the school variance at 0, where
    # the model is least squares on the same design
    reference = sm.OLS(rows[scale].to_numpy(float), sm.add_constant(design.to_numpy(float))).fit()
    assert estimate.specification["variance_conditional"]["between"] < 1e-8
    assert estimate.coef == pytest.approx(reference.params[1], rel=1e-6)
    assert any("between-cluster variance was estimated on the boundary" in n for n in results.notes)
    assert estimate.specification["n"] == len(rows)
    assert any(n.startswith("anxiety_contentment: multilevel model") for n in results.notes)
