from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "threshold.web.jobs"
    verbose_name = "Background jobs"
