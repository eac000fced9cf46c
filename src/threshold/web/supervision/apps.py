from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "threshold.web.supervision"
    verbose_name = "Supervision records"
