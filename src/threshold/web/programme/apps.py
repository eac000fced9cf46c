from django.apps import AppConfig


class ProgrammeConfig(AppConfig):
    name = "threshold.web.programme"
    verbose_name = "Supervision programme"
