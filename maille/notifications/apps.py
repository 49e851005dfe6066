from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "maille.notifications"
    label = "notifications"
    verbose_name = "Messages aux patients"

    def ready(self) -> None:
        from maille.core.housekeeping import register
        from maille.scheduling.transitions import subscribe_to_transitions

        from .housekeeping import JOBS
        from .services import messages_for_transition

        subscribe_to_transitions("notifications", messages_for_transition)
        register(*JOBS)
