from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "threshold.web.insights"
    verbose_name = "Front-door insight"
