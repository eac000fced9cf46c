from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "threshold.web.core"
    verbose_name = "Site"

    def ready(self) -> None:
        from threshold.web.core.components import install

        install()
