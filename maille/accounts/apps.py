from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "maille.accounts"
    label = "accounts"
    verbose_name = "Comptes et rôles"

    def ready(self) -> None:
        from . import throttle  # noqa: F401  (connects the lockout audit)
