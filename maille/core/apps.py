from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "maille.core"
    label = "core"
    verbose_name = "Maille — socle"
