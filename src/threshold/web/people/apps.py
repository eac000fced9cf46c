from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "threshold.web.people"
    verbose_name = "People"
