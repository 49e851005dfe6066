from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "maille.public"
    label = "public"
    verbose_name = "Réservation en ligne"

    def ready(self) -> None:
        from maille.core.housekeeping import register
        from maille.notifications.links import MANAGE, OFFER, register_link_builder

        from .housekeeping import JOBS
        from .links import manage_url, offer_url

        register_link_builder(MANAGE, manage_url)
        register_link_builder(OFFER, offer_url)
        register(*JOBS)
