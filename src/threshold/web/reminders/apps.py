from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "threshold.web.reminders"
    verbose_name = "Reminders"
