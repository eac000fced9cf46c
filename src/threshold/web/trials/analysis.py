"""Running a trial's analysis from the service's records, in the background: the trial's
contract tables (`analysis_tables.trial_tables`) and each LA's front-door store at the version
the database records go through `threshold.pipeline.run_pipeline` (the CLI's code path), whose
report is kept in the run's folder.

A confirmatory run needs the trial's protocol locked and unaltered since; an exploratory run
may use a draft, and is labelled EXPLORATORY everywhere (the report says so too). The same
path runs synchronously from `manage.py trial_analyse` (`threshold trial analyse`).
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus, task

from threshold.model import InputError, write_table
from threshold.pipeline import PipelineConfig, PipelineResult, run_pipeline
from threshold.trial import protocol_status
from threshold.web.accounts.models import User
from threshold.web.audit.models import AuditAction
from threshold.web.audit.services import Actor, record_event
from threshold.web.jobs.retries import retrying
from threshold.web.jobs.selectors import job_status
from threshold.web.trials.analysis_tables import trial_stores, trial_tables
from threshold.web.trials.files import protocol_path, run_folder
from threshold.web.trials.models import AnalysisRun, Trial

DRAWS = 2_000
"""Re-randomisations for the primary outcome's randomisation inference in the service's runs
(settings.TRIAL_ANALYSIS_DRAWS overrides): enough for a p-value to about ±0.01, in minutes."""
EXPLORATORY = "EXPLORATORY"
CONFIRMATORY = "Confirmatory"
TABLES_DIR = "tables"
REPORT_DIR = "report"
DOWNLOADS = {
    "html": ("report.html", "text/html; charset=utf-8", "Report (HTML)"),
    "docx": (
        "report.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "Report (Word)",
    ),
    "json": ("results.json", "application/json", "Results (JSON)"),
}
"""The run's files offered for download: kind → (file in the report folder, type, label)."""
STAGE_NAMES = {
    "": "Waiting to start",
    "records": "Reading the service's records",
    "protocol": "Checking the protocol",
    "front door": "Reading the front-door data",
    "analysis": "Measuring outcomes and fitting the models",
    "report": "Writing the report",
    "done": "Finished",
}
"""What each stage of a run is called on its page."""
READING_SHARE = 0.1
"""The fraction of a run's progress given to reading the records; the pipeline has the rest."""

MSG_NO_PROTOCOL = (
    "The trial has no protocol yet: write the trial's protocol before running its analysis."
)
MSG_UNLOCKED = (
    "The trial's protocol is not locked, so a confirmatory analysis cannot run: lock the "
    "protocol first, or run an exploratory analysis."
)
MSG_ALTERED = (
    "The trial's protocol has changed since it was locked on {when}, so a confirmatory "
    "analysis cannot run: the confirmatory analysis must use the locked plan. Restore the "
    "locked protocol, or run an exploratory analysis."
)
MSG_LEDGER = "The trial's ledger cannot be trusted, so no analysis can run: {reason}"
MSG_NO_STORE = (
    "No front-door data have been imported for {la}: import its contacts and referrals "
    "before running the analysis."
)
MSG_RUN_FAILED = "The analysis did not finish: {reason}"
MSG_RUN_FAULT = (
    "The analysis stopped because of a fault in the service, not in the data. The service's "
    "administrators can see what went wrong; try again later."
)
MSG_DRAWS = (
    "The randomisation-inference p-value uses {draws:,} re-randomisations of the allocation."
)
MAIL_FINISHED_SUBJECT = "{kind} analysis of {trial} finished"
MAIL_FINISHED = (
    "The {kind} analysis of {trial} you asked for has finished.\n\n"
    "Primary outcome: {estimate}.\n\nSee the run and download its report: {link}\n"
)
MAIL_FAILED_SUBJECT = "{kind} analysis of {trial} failed"
MAIL_FAILED = (
    "The {kind} analysis of {trial} you asked for did not finish.\n\n{error}\n\nSee it: {link}\n"
)

Told = Callable[[str, float], None]


class AnalysisRefused(Exception):
    """A run that cannot be started (the message says why and what to do)."""


def draws() -> int:
    """The re-randomisations each run uses for randomisation inference."""
    return int(getattr(settings, "TRIAL_ANALYSIS_DRAWS", DRAWS))


def kind_label(run: AnalysisRun) -> str:
    return EXPLORATORY if run.exploratory else CONFIRMATORY


def refusal(trial: Trial, *, exploratory: bool) -> str:
    """Why an analysis of `trial` cannot run now ("" when it can): a confirmatory one needs the
    protocol locked and unaltered; either needs a protocol and a sound ledger."""
    path = protocol_path(trial)
    if not path.is_file():
        return MSG_NO_PROTOCOL
    try:
        status = protocol_status(path)
    except InputError as error:
        return MSG_LEDGER.format(reason=error)
    if exploratory or status.state == "locked":
        return ""
    if status.state == "unlocked":
        return MSG_UNLOCKED
    return MSG_ALTERED.format(when=status.locked_at)


@transaction.atomic
def analysis_run_create(
    *, trial: Trial, exploratory: bool, site_url: str, by: User, background: bool = True
) -> AnalysisRun:
    """Record a run of the trial's analysis and enqueue it (`background=False`: the caller runs
    it with `analysis_run_perform`); audited. Raises AnalysisRefused when it cannot run."""
    reason = refusal(trial, exploratory=exploratory)
    if reason:
        raise AnalysisRefused(reason)
    run = AnalysisRun.objects.create(
        trial=trial, requested_by=by, exploratory=exploratory, site_url=site_url
    )
    if background:
        run.task_id = str(analysis_run_execute.enqueue(run.pk).id)
        run.save(update_fields=["task_id"])
    record_event(
        by=by,
        action=AuditAction.CREATE,
        object_type="trials.analysisrun",
        object_id=str(run.pk),
        detail={"trial": trial.pk, "exploratory": exploratory, "background": background},
    )
    return run


@task()
def analysis_run_execute(run_id: int) -> int:
    """The background job: run the analysis (see `analysis_run_perform`). A failed run fails
    the job too, its error kept in plain words on the run."""
    run = AnalysisRun.objects.select_related("trial", "requested_by").get(pk=run_id)
    analysis_run_perform(run)
    return run.pk


def analysis_run_perform(run: AnalysisRun, progress: Told | None = None) -> PipelineResult:
    """Read the trial's records and stores, write the tables to the run's folder, run the
    pipeline into its `report/` folder, and record the outcome (status, data cut, protocol hash,
    primary estimate), telling the requester by e-mail either way. `progress` hears each stage
    and the fraction done. InputErrors (the data's or the protocol's) fail the run with their
    message; any other error fails it as a fault of the service. Both are raised again."""
    tell = progress or (lambda stage, fraction: None)
    try:
        result = _perform(run, tell)
    except InputError as error:
        analysis_run_finish(run=run, error=MSG_RUN_FAILED.format(reason=error))
        raise
    except Exception:
        analysis_run_finish(run=run, error=MSG_RUN_FAULT)
        raise
    analysis_run_finish(run=run, result=result)
    return result


def _perform(run: AnalysisRun, tell: Told) -> PipelineResult:
    _moved(run, "records", 0.0, tell, status=AnalysisRun.Status.RUNNING)
    trial = run.trial
    folder = run_folder(run)
    shutil.rmtree(folder, ignore_errors=True)
    (folder / TABLES_DIR).mkdir(parents=True)
    path = protocol_path(trial)
    if not path.is_file():
        raise InputError(MSG_NO_PROTOCOL)
    run.protocol_sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    read_at = timezone.now()
    tables = trial_tables(trial)
    cuts = trial_stores(trial)
    run.data_cut = {
        "read_at": read_at.isoformat(),
        "stores": [
            {"la_code": cut.la_code, "version": cut.version, "imported_at": cut.imported_at}
            for cut in cuts
        ],
        "draws": draws(),
        "rows": {name: len(frame) for name, frame in tables.items()},
    }
    run.save(update_fields=["protocol_sha256", "data_cut"])
    record_event(
        by=run.requested_by,
        action=AuditAction.READ,
        object_type="trials.analysisrun",
        object_id=str(run.pk),
        detail={"trial": trial.pk, **run.data_cut},
    )
    missing = [cut.la_code for cut in cuts if cut.store is None]
    if missing:
        raise InputError(MSG_NO_STORE.format(la=", ".join(missing)))
    for name, frame in tables.items():
        write_table(frame, name, folder / TABLES_DIR)
    config = PipelineConfig(
        protocol=path,
        tables=tables,
        stores=tuple(cut.store for cut in cuts if cut.store is not None),
        out=folder / REPORT_DIR,
        exploratory=run.exploratory,
        draws=draws(),
        data_notes=(MSG_DRAWS.format(draws=draws()),),
    )
    return run_pipeline(
        config,
        lambda stage, fraction: _moved(
            run, stage, READING_SHARE + (1 - READING_SHARE) * fraction, tell
        ),
    )


def _moved(
    run: AnalysisRun, stage: str, fraction: float, tell: Told, status: str | None = None
) -> None:
    """Record (and tell) the stage a run has reached, outside any transaction of its own, so
    the progress page sees it at once."""
    run.stage, run.fraction = stage, fraction
    changes: dict[str, object] = {"stage": stage, "fraction": fraction}
    if status is not None:
        run.status = changes["status"] = status
    AnalysisRun.objects.filter(pk=run.pk).update(**changes)
    tell(stage, fraction)


def primary_summary(result: PipelineResult) -> dict[str, object]:
    """The primary estimate as `Estimate.to_dict()`, in plain JSON (NaN as null), with the
    number of schools analysed as `n`."""
    values = json.loads(json.dumps(result.primary.to_dict(), default=_plain), parse_constant=_nan)
    values["n"] = values["n_treatment"] + values["n_control"]
    inference = result.results.randomisation_inference or {}
    values["randomisation_p_value"] = _plain(inference.get("p_value"))
    values["randomisation_draws"] = _plain(inference.get("draws"))
    return _no_nan(values)


def estimate_text(primary: dict[str, object]) -> str:
    """The primary estimate in words: outcome, coefficient, 95% CI, p-value, effect size, n."""
    if not primary:
        return ""

    def number(key: str, digits: str = ".4g") -> str:
        value = primary.get(key)
        return "not estimable" if value is None else format(value, digits)

    return (
        f"{primary['outcome']}: {number('coef', '.3g')} (95% CI {number('ci_low', '.3g')} to "
        f"{number('ci_high', '.3g')}), p = {number('p_value', '.2g')}, effect size (Glass's "
        f"delta) {number('glass_delta', '.2f')}, {primary['n']} schools"
    )


def data_cut_lines(data_cut: dict[str, object]) -> list[str]:
    """The data cut in words: when the records were read, and each LA's front-door data (the
    store's version and when it was imported)."""
    if not data_cut:
        return []
    lines = [f"Records read {_when(str(data_cut['read_at']))}"]
    for cut in data_cut.get("stores", []):
        if cut["imported_at"]:
            lines.append(
                f"LA {cut['la_code']}: front door imported {_when(cut['imported_at'])} "
                f"(version {cut['version']})"
            )
        else:
            lines.append(f"LA {cut['la_code']}: no front-door data imported")
    return lines


def data_cut_summary(data_cut: dict[str, object]) -> str:
    """The data cut in one sentence, for the list of runs: when the records were read, and
    when the LAs' front-door data were imported (the earliest and latest)."""
    if not data_cut:
        return ""
    stores = list(data_cut.get("stores", []))
    imported = sorted(cut["imported_at"] for cut in stores if cut["imported_at"])
    text = f"Records read {_when(str(data_cut['read_at']))}"
    if imported:
        span = _when(imported[0])
        if _when(imported[-1]) != span:
            span += f" to {_when(imported[-1])}"
        places = "1 LA" if len(imported) == 1 else f"{len(imported)} LAs"
        text += f"; front door of {places} imported {span}"
    missing = [cut["la_code"] for cut in stores if not cut["imported_at"]]
    if missing:
        text += "; no front-door data for LA " + ", ".join(missing)
    return text


def _when(iso: str) -> str:
    moment = timezone.localtime(datetime.fromisoformat(iso))
    return f"{moment:%-d %b %Y, %H:%M}"


def _plain(value: object) -> object:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _nan(constant: str) -> None:
    return None


def _no_nan(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_nan(v) for v in value]
    return value


def analysis_run_finish(
    *, run: AnalysisRun, result: PipelineResult | None = None, error: str = ""
) -> None:
    """Record how a run ended (its primary estimate, or its error), audit it, and e-mail the
    requester with a link to the run."""
    with transaction.atomic():
        run.status = AnalysisRun.Status.FAILED if result is None else AnalysisRun.Status.DONE
        run.error = error
        run.finished_at = timezone.now()
        if result is not None:
            run.primary = primary_summary(result)
            run.protocol_sha256 = result.results.protocol_sha256 or run.protocol_sha256
            run.stage, run.fraction = "done", 1.0
        run.save(
            update_fields=[
                "status",
                "error",
                "finished_at",
                "primary",
                "protocol_sha256",
                "stage",
                "fraction",
            ]
        )
        record_event(
            by=run.requested_by,
            action=AuditAction.UPDATE,
            object_type="trials.analysisrun",
            object_id=str(run.pk),
            detail={"status": run.status, "error": error, "primary": run.primary},
        )
    if run.requested_by.email:
        transaction.on_commit(lambda: analysis_run_mail_send.enqueue(run.pk))


@task()
@retrying
def analysis_run_mail_send(run_id: int) -> None:
    """E-mail the requester how the run ended, with a link to it: a job of its own, so that a
    mail server that is down is tried again later without running the analysis again."""
    run = AnalysisRun.objects.select_related("trial", "requested_by").get(pk=run_id)
    path = reverse("trials:run_detail", kwargs={"pk": run.pk})
    link = (run.site_url.rstrip("/") + path) if run.site_url else path
    names = {"kind": kind_label(run), "trial": run.trial.name, "link": link}
    if run.status == AnalysisRun.Status.DONE:
        subject = MAIL_FINISHED_SUBJECT.format(**names)
        body = MAIL_FINISHED.format(**names, estimate=estimate_text(run.primary))
    else:
        subject = MAIL_FAILED_SUBJECT.format(**names)
        body = MAIL_FAILED.format(**names, error=run.error)
    send_mail(subject, body, None, [run.requested_by.email])


def run_stopped(run: AnalysisRun) -> bool:
    """Whether a run not yet finished will never finish: its background job failed without the
    run recording it (the worker was stopped or crashed mid-run)."""
    if run.status in (AnalysisRun.Status.DONE, AnalysisRun.Status.FAILED) or not run.task_id:
        return False
    return job_status(run.task_id) == TaskResultStatus.FAILED


def run_download(*, run: AnalysisRun, kind: str, by: Actor) -> Path | None:
    """The path of the run's `kind` of report (see DOWNLOADS), audited as read; None when it
    has no such file. Only the named files inside the run's report folder are ever given."""
    if kind not in DOWNLOADS or run.status != AnalysisRun.Status.DONE:
        return None
    report = (run_folder(run) / REPORT_DIR).resolve()
    path = (report / DOWNLOADS[kind][0]).resolve()
    if path.parent != report or not path.is_file():
        return None
    record_event(
        by=by,
        action=AuditAction.READ,
        object_type="trials.analysisrun",
        object_id=str(run.pk),
        detail={"file": path.name},
    )
    return path
