from django.apps import AppConfig


class GuidanceConfig(AppConfig):
    name = "threshold.web.guidance"
    label = "guidance"
    verbose_name = "DSL guidance and information line"
