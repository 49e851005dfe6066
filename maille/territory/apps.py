from django.apps import AppConfig


class TerritoryConfig(AppConfig):
    name = "maille.territory"
    label = "territory"
    verbose_name = "Territoire"
