from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "threshold.web.surveys"
    verbose_name = "DSL surveys"
