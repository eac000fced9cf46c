from django.apps import AppConfig


class TrialsConfig(AppConfig):
    name = "threshold.web.trials"
    verbose_name = "Trials"
