from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "maille.accounts"
    label = "accounts"
    verbose_name = "Comptes et rôles"
