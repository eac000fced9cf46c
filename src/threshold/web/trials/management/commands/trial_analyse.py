"""`manage.py trial_analyse TRIAL_ID [--exploratory] [--by USERNAME]`: a trial's analysis run
now, in this process, by the same path as the "Run the analysis" button (the run is recorded
and listed with the others)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from threshold.model import InputError
from threshold.web.accounts.models import User
from threshold.web.accounts.permissions import Permission
from threshold.web.trials import analysis
from threshold.web.trials.models import Trial
from threshold.web.trials.selectors import trial_allows

MSG_NO_TRIAL = "trial {pk} is not in Threshold; the trials page lists them with their numbers"
MSG_NO_USER = "user {username!r} is not in Threshold"
MSG_NOT_ALLOWED = "{username} may not analyse trial {pk} ({name}): they need trials.analyse there"
MSG_STARTED = "{kind} analysis of trial {pk} ({name}): run {run}, requested by {username}"
MSG_STAGE = "{percent:3.0f}%  {stage}"
MSG_DONE = "primary outcome {estimate}\nreport: {folder}"


class Command(BaseCommand):
    help = "Run a trial's analysis now, as the web service's button does, and print the result."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("trial", type=int, help="The trial's number.")
        parser.add_argument(
            "--exploratory",
            action="store_true",
            help="Exploratory (allowed on a protocol not yet locked; labelled EXPLORATORY).",
        )
        parser.add_argument(
            "--by", help="Who asks (a username); default: whoever created the trial."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        trial = Trial.objects.filter(pk=options["trial"]).first()
        if trial is None:
            raise CommandError(MSG_NO_TRIAL.format(pk=options["trial"]))
        by = trial.created_by
        if options["by"]:
            by = User.objects.filter(username=options["by"]).first()
            if by is None:
                raise CommandError(MSG_NO_USER.format(username=options["by"]))
        if not trial_allows(by, trial, Permission.TRIALS_ANALYSE):
            raise CommandError(
                MSG_NOT_ALLOWED.format(username=by.get_username(), pk=trial.pk, name=trial.name)
            )
        try:
            run = analysis.analysis_run_create(
                trial=trial,
                exploratory=options["exploratory"],
                site_url="",
                by=by,
                background=False,
            )
        except analysis.AnalysisRefused as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            MSG_STARTED.format(
                kind=analysis.kind_label(run),
                pk=trial.pk,
                name=trial.name,
                run=run.pk,
                username=by.get_username(),
            )
        )

        def progress(stage: str, fraction: float) -> None:
            name = analysis.STAGE_NAMES.get(stage, stage)
            self.stdout.write(MSG_STAGE.format(percent=fraction * 100, stage=name))

        try:
            analysis.analysis_run_perform(run, progress)
        except InputError as error:
            raise CommandError(run.error or str(error)) from error
        self.stdout.write(
            MSG_DONE.format(
                estimate=analysis.estimate_text(run.primary),
                folder=analysis.run_folder(run) / analysis.REPORT_DIR,
            )
        )
