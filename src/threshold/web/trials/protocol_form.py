"""The protocol as a form: the draft starts from the evaluation's template
(`threshold.trial.template()`), the form sets what most trials change, and the TOML is edited
with tomlkit so that the template's comments (and anything edited directly) survive.

The form never decides whether a plan is valid: `services.trial_protocol_save` checks the
resulting text with the CLI's checker (`threshold.trial.parse_protocol`)."""

from __future__ import annotations

import datetime as dt
import tomllib
from typing import Any

import tomlkit
from django import forms

from threshold.trial import template
from threshold.web.core.forms import DATE_HINT, GovUKDateField, GovUKForm
from threshold.web.trials import files
from threshold.web.trials.models import Trial

MSG_ENDS_BEFORE = "The {what} must end after it starts"
MSG_BASELINE_AFTER = "The baseline window must end before the outcome window starts"
MSG_NUMBER = "Enter a number, for example 0.05"
MSG_WHOLE = "Enter a whole number"
MSG_NOT_TOML = "The protocol is not valid TOML: {error}"

COVARIATES = {
    "pupils_on_roll": "Pupils on roll",
    "pct_fsm": "% pupils eligible for free school meals",
}
"""School characteristics the service holds, offered as covariates."""
FROM_OTHER_RECORDS = {"dsl_experience": "the baseline survey", "ssw_id": "the sessions"}
"""Variables the analysis takes from the service's other records."""
# The choices the CLI's checker accepts (`threshold.trial.protocol`), in plain words.
STANDARD_ERROR_LABELS = {
    "hc1": "HC1 (Stata's robust)",
    "hc2": "HC2",
    "hc3": "HC3",
    "classical": "Classical",
    "cluster": "Clustered",
}
EFFECT_SIZE_LABELS = {
    "glass": "Glass's delta (coefficient ÷ control group's standard deviation)",
    "hedges": "Hedges' g (coefficient ÷ residual standard deviation, as eefAnalytics)",
}
MULTIPLICITY_LABELS = {
    "hochberg": "Hochberg",
    "holm": "Holm",
    "bonferroni": "Bonferroni",
    "none": "None",
}


def _template_entries(key: str) -> list[dict[str, Any]]:
    return tomllib.loads(template()).get(key, [])


def analysable(entry: dict[str, Any]) -> bool:
    """Whether the service's records hold every variable a template entry (a subgroup or
    robustness check) needs: the template's urban subgroup and its check with Ofsted ratings,
    % EAL and % SEN support need characteristics the service does not keep."""
    needed = [entry.get("variable"), *entry.get("variables", [])]
    return all(v in COVARIATES or v in FROM_OTHER_RECORDS for v in needed if v)


def _choices(key: str) -> list[tuple[str, str]]:
    return [
        (e["name"], e.get("description") or e["name"])
        for e in _template_entries(key)
        if analysable(e)
    ]


def draft_text(trial: Trial) -> str:
    """The trial's protocol as saved, else the template named after the trial, without the
    analyses the service's records cannot support, and with no public draw (the template's was
    held in 2021: a draw known before the lock would let the allocation be chosen)."""
    path = files.protocol_path(trial)
    if path.exists():
        return path.read_text(encoding="utf-8")
    document = tomlkit.parse(template())
    document["trial"]["name"] = trial.name  # type: ignore[index]
    for key in ("subgroup", "robustness"):
        kept = tomlkit.aot()
        for entry in document[key]:  # type: ignore[union-attr]
            if analysable(entry):
                kept.append(entry)
        document[key] = kept
    # The template's draw was held long ago: each trial names its own, held after its lock.
    document["randomisation"]["public_draw"] = ""  # type: ignore[index]
    return tomlkit.dumps(document)


def _date(label: str, *, subject: str, help_text: str = "") -> GovUKDateField:
    hint = f"{help_text}. {DATE_HINT}" if help_text else DATE_HINT
    return GovUKDateField(label=label, subject=subject, help_text=hint)


def _outcome_choices() -> list[tuple[str, str]]:
    return [
        (e["name"], e.get("description") or e["name"])
        for e in _template_entries("outcome")
        if "window" in e
    ]


class ProtocolForm(GovUKForm):
    """What most trials set; `initial_from(text)` reads them from a protocol, `apply(text)`
    writes them into it."""

    name = forms.CharField(label="Trial name", max_length=200)
    registration = forms.CharField(
        label="Registration", required=False, help_text="A trial registry number, if it has one"
    )
    primary = forms.ChoiceField(label="Primary outcome", widget=forms.RadioSelect)
    secondary = forms.MultipleChoiceField(
        label="Secondary outcomes",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="The primary outcome is analysed as primary even if it is ticked here",
    )
    window_start = _date("Outcome window: first day", subject="First day of the outcome window")
    window_end = _date("Outcome window: last day", subject="Last day of the outcome window")
    baseline_start = _date("Baseline window: first day", subject="First day of the baseline window")
    baseline_end = _date("Baseline window: last day", subject="Last day of the baseline window")
    observed_by = _date(
        "Referral outcomes observed by",
        subject="Date referral outcomes are observed by",
        help_text="Referrals' outcomes (NFA after assessment) recorded by this date are counted",
    )
    covariates = forms.MultipleChoiceField(
        label="Covariates",
        choices=list(COVARIATES.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Besides the baseline outcome and the blocks",
    )
    subgroups = forms.MultipleChoiceField(
        label="Subgroup analyses", widget=forms.CheckboxSelectMultiple, required=False
    )
    robustness = forms.MultipleChoiceField(
        label="Robustness checks", widget=forms.CheckboxSelectMultiple, required=False
    )
    public_draw = forms.CharField(
        label="Public draw",
        max_length=300,
        widget=forms.Textarea,
        help_text=(
            "A public draw held after the lock, whose numbers seed the randomisation: "
            "for example a named lottery draw on a given date"
        ),
    )
    public_draw_numbers = forms.IntegerField(
        label="How many numbers the draw gives",
        min_value=1,
        max_value=50,
        error_messages={"invalid": MSG_WHOLE},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-4"}),
    )
    alpha = forms.FloatField(
        label="Significance level (alpha)",
        error_messages={"invalid": MSG_NUMBER},
        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "govuk-input--width-4"}),
    )
    standard_errors = forms.ChoiceField(
        label="Standard errors",
        choices=list(STANDARD_ERROR_LABELS.items()),
    )
    effect_size = forms.ChoiceField(label="Effect size", choices=list(EFFECT_SIZE_LABELS.items()))
    multiplicity = forms.ChoiceField(
        label="Correction for multiple secondary outcomes",
        choices=list(MULTIPLICITY_LABELS.items()),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["primary"].choices = _outcome_choices()
        self.fields["secondary"].choices = _choices("outcome")
        self.fields["subgroups"].choices = _choices("subgroup")
        self.fields["robustness"].choices = _choices("robustness")

    @staticmethod
    def initial_from(text: str) -> dict[str, object]:
        """The form's values as `text` (a protocol) holds them; what it cannot read is left
        out, so the field starts empty."""
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return {}
        trial, randomisation, analysis = (
            raw.get(k, {}) if isinstance(raw.get(k), dict) else {}
            for k in ("trial", "randomisation", "analysis")
        )
        outcomes = [o for o in raw.get("outcome", []) if isinstance(o, dict)]
        primary = next((o for o in outcomes if o.get("role") == "primary"), {})
        windowed = (
            primary if "window" in primary else next((o for o in outcomes if "window" in o), {})
        )
        observed = next((o["observed_by"] for o in outcomes if "observed_by" in o), None)
        initial: dict[str, object] = {
            "name": trial.get("name", ""),
            "registration": trial.get("registration", ""),
            "primary": primary.get("name", ""),
            "secondary": [o.get("name") for o in outcomes if o.get("role") == "secondary"],
            "observed_by": observed,
            "covariates": list(analysis.get("covariates", [])),
            "subgroups": [s.get("name") for s in raw.get("subgroup", []) if isinstance(s, dict)],
            "robustness": [s.get("name") for s in raw.get("robustness", []) if isinstance(s, dict)],
            "public_draw": randomisation.get("public_draw", ""),
            "public_draw_numbers": randomisation.get("public_draw_numbers"),
            "alpha": analysis.get("alpha", 0.05),
            "standard_errors": analysis.get("standard_errors", "hc1"),
            "effect_size": analysis.get("effect_size", "glass"),
            "multiplicity": analysis.get("multiplicity", "hochberg"),
        }
        for key, prefix in (("window", "window"), ("baseline_window", "baseline")):
            value = windowed.get(key)
            if isinstance(value, list) and len(value) == 2:
                initial[f"{prefix}_start"], initial[f"{prefix}_end"] = value
        return initial

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        pairs = (("window", "outcome window"), ("baseline", "baseline window"))
        for prefix, what in pairs:
            start, end = cleaned.get(f"{prefix}_start"), cleaned.get(f"{prefix}_end")
            if start and end and end < start:
                self.add_error(f"{prefix}_end", MSG_ENDS_BEFORE.format(what=what))
        baseline_end, window_start = cleaned.get("baseline_end"), cleaned.get("window_start")
        if baseline_end and window_start and baseline_end >= window_start:
            self.add_error("baseline_end", MSG_BASELINE_AFTER)
        return cleaned

    def apply(self, text: str) -> str:
        """`text` (a protocol) with this valid form's values written in, comments kept."""
        values = self.cleaned_data
        document = tomlkit.parse(text)
        trial = _table(document, "trial")
        trial["name"] = values["name"]
        trial["registration"] = values["registration"]
        randomisation = _table(document, "randomisation")
        randomisation["public_draw"] = values["public_draw"]
        randomisation["public_draw_numbers"] = values["public_draw_numbers"]
        analysis = _table(document, "analysis")
        analysis["alpha"] = values["alpha"]
        analysis["standard_errors"] = values["standard_errors"]
        analysis["effect_size"] = values["effect_size"]
        analysis["multiplicity"] = values["multiplicity"]
        analysis["covariates"] = list(values["covariates"])
        was = _window_year(document)
        years = values["window_start"].year - was
        window = [_iso(values["window_start"]), _iso(values["window_end"])]
        baseline = [_iso(values["baseline_start"]), _iso(values["baseline_end"])]
        chosen = [*values["secondary"], values["primary"]]
        _choose(document, "outcome", chosen, was - TEMPLATE_YEAR)
        for outcome in document.get("outcome", []):
            outcome["role"] = "primary" if outcome.get("name") == values["primary"] else "secondary"
            if "window" in outcome:
                outcome["window"] = window
                outcome["baseline_window"] = baseline
            if "observed_by" in outcome:
                outcome["observed_by"] = _iso(values["observed_by"])
        _choose(document, "subgroup", values["subgroups"], was - TEMPLATE_YEAR)
        _choose(document, "robustness", values["robustness"], was - TEMPLATE_YEAR)
        if years:
            _move_windows(document, years)
        return tomlkit.dumps(document)


def _iso(day: dt.date) -> str:
    return day.isoformat()


def _window_year(document: tomlkit.TOMLDocument) -> int:
    """The year the (first) outcome window starts in, before the form's change."""
    for outcome in document.get("outcome", []):
        window = outcome.get("window")
        if window:
            return dt.date.fromisoformat(str(window[0])).year
    return TEMPLATE_YEAR


TEMPLATE_YEAR = 2021
"""The year the template's outcome window starts."""


def _shift(value: object, years: int) -> object:
    """A date, or a list of them (nested), moved by whole years (29 February: the 28th)."""
    if isinstance(value, list):
        return [_shift(v, years) for v in value]
    day = dt.date.fromisoformat(str(value))
    try:
        return day.replace(year=day.year + years).isoformat()
    except ValueError:
        return day.replace(year=day.year + years, day=28).isoformat()


def _move_windows(document: tomlkit.TOMLDocument, years: int) -> None:
    """Move the subgroups' and robustness checks' windows with the outcome window, so that a
    timing subgroup or an earlier baseline stays where it was relative to the trial's year."""
    for key in ("subgroup", "compliance", "robustness"):
        for entry in document.get(key, []):
            for setting in ("window", "baseline_window", "windows"):
                if setting in entry:
                    entry[setting] = _shift(entry[setting].unwrap(), years)


def _table(document: tomlkit.TOMLDocument, key: str) -> Any:
    if key not in document:
        document[key] = tomlkit.table()
    return document[key]


def _choose(document: tomlkit.TOMLDocument, key: str, chosen: list[str], years: int) -> None:
    """Keep the template's entries of `key` that were chosen, in the template's order (an entry
    already in the document as it is there, else the template's, its windows moved by `years`
    to the document's); entries not from the template (written in the TOML directly) stay."""
    offered = [e["name"] for e in _template_entries(key) if analysable(e)]
    current = {e.get("name"): e for e in document.get(key, [])}
    original = tomlkit.parse(template())
    if years:
        _move_windows(original, years)
    fresh = {e.get("name"): e for e in original.get(key, [])}
    entries = tomlkit.aot()
    for name in offered:
        if name in chosen:
            entries.append(current.get(name, fresh[name]))
    for name, entry in current.items():
        if name not in offered:
            entries.append(entry)
    document[key] = entries


class ProtocolTextForm(GovUKForm):
    """The protocol's TOML, edited directly."""

    text = forms.CharField(
        label="Protocol (TOML)",
        widget=forms.Textarea(attrs={"class": "threshold-code", "spellcheck": "false"}),
        strip=False,
        help_text="Nothing is saved unless it passes the checks",
    )
