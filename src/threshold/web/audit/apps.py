from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "threshold.web.audit"
    verbose_name = "Audit"
