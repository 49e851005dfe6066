"""The diagnosis map's travel-time classes and the words its script shows (translated here, not in JS)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


@dataclass(frozen=True)
class TravelClass:
    upper: float | None  # minutes; None: the last class
    label: Any
    css_class: str


TRAVEL_CLASSES = [
    TravelClass(10, gettext_lazy("moins de 10 min"), "travel-0"),
    TravelClass(20, gettext_lazy("de 10 à 20 min"), "travel-1"),
    TravelClass(30, gettext_lazy("de 20 à 30 min"), "travel-2"),
    TravelClass(45, gettext_lazy("de 30 à 45 min"), "travel-3"),
    TravelClass(None, gettext_lazy("45 min et plus"), "travel-4"),
]


def diagnosis_labels() -> dict[str, str]:
    return {
        "travel": _("Trajet jusqu'au site le plus proche"),
        "noTravel": _("aucun site"),
        "minutes": _("min"),
        "nearest": _("site le plus proche"),
        "gap": _("écart de couverture : APL sous 2,5 et aucun site à moins de 30 min"),
        "layerLoaded": _("Couche affichée : %(layer)s."),
        "network": _("APL avec le réseau"),
        "envisageHere": _("Envisager un site ici"),
        "envisaged": _("Site envisagé"),
        "removed": _("retiré du scénario"),
        "removeSite": _("Retirer ce site du scénario"),
        "keepSite": _("Garder ce site"),
    }
