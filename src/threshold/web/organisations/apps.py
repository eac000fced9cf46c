from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "threshold.web.organisations"
    verbose_name = "Local authorities and schools"
