from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "maille.quality"
    label = "quality"
    verbose_name = "Qualité"
