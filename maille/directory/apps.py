from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "maille.directory"
    label = "directory"
    verbose_name = "Annuaire de l'offre de télémédecine"
