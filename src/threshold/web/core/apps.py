from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "threshold.web.core"
    verbose_name = "Site"
