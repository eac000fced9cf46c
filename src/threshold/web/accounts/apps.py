from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "threshold.web.accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from threshold.web.accounts import signals  # noqa: F401  (connects the audit receivers)
