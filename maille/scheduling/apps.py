from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "maille.scheduling"
    label = "scheduling"
    verbose_name = "Agendas et réservations"
