"""Survey results by arm: the DSLs' Warr scale scores (`threshold.surveys.score_responses`) by
arm and wave — the number scored, the mean and its 95% confidence interval (t-based) — never
per person. A cell of fewer than `SMALL_COUNT` respondents is not shown ("fewer than 5"), and
where one arm's cell is hidden the total of both arms is hidden too, since the total less the
other arm would give it away. Arms are as allocated (schools that withdrew stay in theirs).
Schools enrolled directly (without a trial, `DIRECT_BLOCK`) were not randomised: they are in
neither arm nor the arms' total, but a group of their own (`DIRECT`), so a programme without a
trial sees its results and a trial's arms hold only the randomised schools.
Reading the results is an audited read of the programme's survey responses."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet
from statsmodels.stats.weightstats import DescrStatsW

from threshold.model import Arm, Scale, SurveyWave
from threshold.surveys import WARR_FEELINGS, score_responses
from threshold.web.accounts.permissions import Permission
from threshold.web.accounts.selectors import authorities_where
from threshold.web.audit.services import Actor, audit_read, target_of
from threshold.web.programme.models import Enrolment, Programme
from threshold.web.programme.selectors import DIRECT_BLOCK
from threshold.web.surveys.models import Response
from threshold.web.surveys.selectors import SMALL_COUNT

TOTAL = "total"
DIRECT = "direct"
"""The group of the schools enrolled directly, not randomised (in neither arm)."""
DIRECT_LABEL = "Enrolled directly (not randomised)"
ITEMS = [f"warr_{feeling}" for feeling in WARR_FEELINGS]


@dataclass(frozen=True)
class Cell:
    """One arm (or both) at one wave on one scale: `n` scored respondents, the mean and its
    95% t interval; all None when `suppressed`."""

    arm: str
    label: str
    n: int | None
    mean: float | None
    ci_low: float | None
    ci_high: float | None

    @property
    def suppressed(self) -> bool:
        return self.n is None


@dataclass(frozen=True)
class ScaleRow:
    wave: str
    wave_label: str
    scale: str
    scale_label: str
    cells: tuple[Cell, ...]
    """Treatment, control, then both arms together (where schools were randomised); then the
    schools enrolled directly (where there are some)."""


@dataclass(frozen=True)
class Results:
    programme: Programme
    rows: tuple[ScaleRow, ...]
    waves: tuple[str, ...]
    direct: bool
    """Whether some schools were enrolled directly (not randomised): shown apart."""
    unanswered: tuple[str, ...]
    """Labels of the programme's waves no one has answered yet."""
    randomised: bool = True
    """Whether some schools were randomised (else there are no arms)."""


def results_programmes(*, user: AbstractBaseUser) -> QuerySet[Programme]:
    """Programmes in the LAs where `user` sees survey results (all, for a global role)."""
    programmes = Programme.objects.select_related("authority")
    places = authorities_where(user, Permission.SURVEY_RESULTS_VIEW)
    return programmes if places is None else programmes.filter(authority__in=places)


def _cell(arm: str, label: str, scores: pd.Series) -> Cell:
    values = scores.dropna().to_numpy(dtype=float)
    if len(values) < SMALL_COUNT:
        return Cell(arm, label, None, None, None, None)
    low, high = DescrStatsW(values).tconfint_mean(alpha=0.05)
    return Cell(arm, label, len(values), float(np.mean(values)), float(low), float(high))


def _hidden(cell: Cell) -> Cell:
    return Cell(cell.arm, cell.label, None, None, None, None)


def enrolment_groups(programme: Programme) -> dict[int, str]:
    """Each enrolled school's group (by school id): its arm as allocated, or `DIRECT` for a
    school enrolled directly, which was not randomised."""
    rows = Enrolment.objects.filter(programme=programme).values_list("school_id", "arm", "block")
    return {school: DIRECT if block == DIRECT_BLOCK else arm for school, arm, block in rows}


def scored_responses(programme: Programme) -> pd.DataFrame:
    """The programme's responses (wave, arm — `DIRECT` for schools enrolled directly — and
    Warr items; no token, school or person) with a column per scale."""
    arms = enrolment_groups(programme)
    rows = Response.objects.filter(
        wave__programme=programme, respondent__school__in=list(arms)
    ).values_list("wave__wave", "respondent__school_id", *ITEMS)
    frame = pd.DataFrame(
        [
            {
                "wave": wave,
                "arm": arms[school],
                **{item: answer or None for item, answer in zip(ITEMS, answers, strict=True)},
            }
            for wave, school, *answers in rows
        ],
        columns=["wave", "arm", *ITEMS],
    )
    return score_responses(frame)


def survey_results(*, programme: Programme, by: Actor) -> Results:
    """Warr scale scores by arm and wave for `programme`'s waves, small cells suppressed. An
    audited read."""
    scored = scored_responses(programme)
    groups = set(enrolment_groups(programme).values())
    randomised = bool(groups - {DIRECT})
    waves = [w for w in SurveyWave if programme.waves.filter(wave=w.value).exists()]
    rows, unanswered = [], []
    for wave in waves:
        at_wave = scored[scored["wave"] == wave.value]
        if at_wave.empty:
            unanswered.append(wave.label)
            continue
        in_arms = at_wave[at_wave["arm"] != DIRECT]
        for scale in Scale:
            cells = []
            if randomised:
                arms = [
                    _cell(
                        arm.value, arm.label, in_arms.loc[in_arms["arm"] == arm.value, scale.value]
                    )
                    for arm in Arm
                ]
                total = _cell(TOTAL, "Both arms", in_arms[scale.value])
                if any(cell.suppressed for cell in arms):
                    total = _hidden(total)
                cells += [*arms, total]
            if DIRECT in groups:
                direct = at_wave.loc[at_wave["arm"] == DIRECT, scale.value]
                cells.append(_cell(DIRECT, DIRECT_LABEL, direct))
            rows.append(
                ScaleRow(
                    wave=wave.value,
                    wave_label=wave.label,
                    scale=scale.value,
                    scale_label=scale.label,
                    cells=tuple(cells),
                )
            )
    audit_read(
        by=by,
        **target_of(programme),
        authority_code=programme.authority.la_code,
        detail={"what": "survey results by arm"},
    )
    return Results(
        programme=programme,
        rows=tuple(rows),
        waves=tuple(w.value for w in waves),
        direct=DIRECT in groups,
        unanswered=tuple(unanswered),
        randomised=randomised,
    )
