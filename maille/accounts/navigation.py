"""Role-based navigation shown in the base layout."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from .models import Role
from .permissions import has_permission
from .scope import scope_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "user_roles": []}
    # (route, label, permission, what the home page says of it)
    entries = [
        ("home", _("Accueil"), None, ""),
        (
            "diagnosis:map",
            _("Carte du territoire"),
            "territory.view_map",
            _(
                "Voir les communes colorées selon l'accès aux médecins généralistes (APL) et les sites de "
                "téléconsultation, département par département."
            ),
        ),
        (
            "diagnosis:diagnosis",
            _("Diagnostic"),
            "diagnosis.view",
            _(
                "Lire les chiffres clés d'un département, d'un EPCI ou d'une CPTS : population sous-dotée, "
                "temps de trajet jusqu'au site le plus proche, écarts de couverture, capacité du réseau."
            ),
        ),
        (
            "quality:hub",
            _("Qualité"),
            "quality.view",
            _(
                "Le référentiel et la charte, les auto-évaluations des sites, leurs plans d'actions, leurs labels "
                "et, pour le territoire, leur maturité."
            ),
        ),
        (
            "evaluation:hub",
            _("Évaluation"),
            "evaluation.view_activity",
            _(
                "Le registre d'activité (chaque acte réalisé, ses codes et leur montant au tarif du jour), les "
                "imports d'actes réalisés hors de Maille et les tarifs des actes."
            ),
        ),
        (
            "directory:site_list",
            _("Annuaire des sites"),
            "directory.view",
            _(
                "Chercher un site de téléconsultation par commune, CPTS, usage, niveau ou équipement, et "
                "consulter ses salles, horaires et professionnels."
            ),
        ),
        (
            "scheduling:index",
            _("Agendas"),
            "scheduling.view_agenda",
            _(
                "Voir et modifier les disponibilités des sites, des salles et des médecins, semaine par semaine."
            ),
        ),
        (
            "scheduling:doctor_day",
            _("Ma journée"),
            "scheduling.doctor_day",
            _(
                "Vos téléconsultations du jour sur tous les sites, les patients prêts en salle et le lien vidéo."
            ),
        ),
        (
            "scheduling:book",
            _("Prendre un rendez-vous"),
            "scheduling.book",
            _("Trouver le premier créneau libre pour un patient et le réserver, au téléphone ou sur site."),
        ),
        (
            "scheduling:waitlist",
            _("Liste d'attente"),
            "scheduling.book",
            _(
                "Suivre les patients qui attendent un créneau plus tôt ; les créneaux libérés leur sont proposés."
            ),
        ),
        (
            "notifications:outbox",
            _("Messages"),
            "notifications.view_outbox",
            _("Suivre les confirmations, rappels et annulations envoyés aux patients, et le budget SMS."),
        ),
        (
            "api:openapi-view",
            _("API"),
            "api.read",
            _("Lire l'annuaire et le territoire depuis un autre logiciel (API documentée, FHIR)."),
        ),
        (
            "admin:index",
            _("Administration"),
            "admin.reference_data",
            _("Gérer les données de référence : territoires, catalogues d'usages et d'équipements, comptes."),
        ),
    ]
    current = request.path
    shown = [
        (reverse(url_name), label, description)
        for url_name, label, permission, description in entries
        if permission is None or has_permission(user, permission)
    ]
    # One current entry: the most specific (/agendas/reserver/ is "Prendre un rendez-vous", not "Agendas").
    matching = [url for url, _, _ in shown if (current == url if url == "/" else current.startswith(url))]
    deepest = max(matching, key=len, default=None)
    items = [
        {"url": url, "label": label, "active": url == deepest, "description": description}
        for url, label, description in shown
    ]
    scope = scope_for(user)

    return {"nav_items": items, "user_roles": [Role(role).label for role in sorted(scope.roles)]}
