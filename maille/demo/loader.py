"""Loads the demo: the Grand Est territory from the shipped open data, then the fictional network and
one account per role."""

from __future__ import annotations

import time
from typing import Any, TextIO

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from maille.accounts.models import Role, RoleGrant
from maille.directory.models import Professional, Site

from .accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from .network import DEMO_DOCTORS, DEMO_SITES, FICTIONAL, fake_rpps, load_demo_network
from .scheduling import load_demo_scheduling

FOCUS_DEPARTEMENTS = ["52", "54", "55"]


def _grants_for(username: str, souilly: Site) -> list[dict[str, Any]]:
    grants: dict[str, list[dict[str, Any]]] = {
        "admin": [{"role": Role.PLATFORM_ADMIN}],
        "coordination55": [{"role": Role.COORDINATOR, "departement_id": "55"}],
        "coordination-ge": [{"role": Role.COORDINATOR, "region_id": "44"}],
        "site-souilly": [{"role": Role.SITE_STAFF, "site": souilly}],
        "docteur": [{"role": Role.REMOTE_DOCTOR}],
        "operateur": [{"role": Role.OPERATOR, "departement_id": code} for code in FOCUS_DEPARTEMENTS],
        "evaluation": [{"role": Role.EVALUATOR, "departement_id": code} for code in FOCUS_DEPARTEMENTS],
    }
    return grants[username]


@transaction.atomic
def create_demo_accounts() -> int:
    """One account per role, with its scope; idempotent (existing passwords are left alone)."""
    user_model = get_user_model()
    souilly = Site.objects.get(name=DEMO_SITES[0].name + FICTIONAL)
    created = 0
    for username, first, last, role, _scope in DEMO_ACCOUNTS:
        user, was_created = user_model.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "is_demo": True,
                "email": f"{username}@demo.maille.invalid",
                "is_staff": role == Role.PLATFORM_ADMIN,
                "is_superuser": role == Role.PLATFORM_ADMIN,
            },
        )
        if was_created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            created += 1
        for grant in _grants_for(username, souilly):
            RoleGrant.objects.get_or_create(user=user, **grant)
    # The demo doctor and the Souilly assistant log in as themselves.
    Professional.objects.filter(rpps=fake_rpps(1)).update(user=user_model.objects.get(username="docteur"))
    Professional.objects.filter(rpps=fake_rpps(101)).update(
        user=user_model.objects.get(username="site-souilly")
    )
    return created


def load_demo(stdout: TextIO) -> str:
    from maille.territory.loading import load_grand_est

    started = time.perf_counter()
    territory_summary = load_grand_est(stdout=stdout)
    network = load_demo_network()
    created = create_demo_accounts()
    agendas = load_demo_scheduling()
    from .evaluation import load_demo_evaluation

    # the completed appointments' acts (the demo writes its history in bulk), then the in-person activity file
    evaluation = load_demo_evaluation()
    from .supply import load_demo_supply

    # fictional GPs per commune: the "nearest GP" of the kilometres avoided
    practitioners = load_demo_supply()
    from .surveys import load_demo_surveys

    surveys = load_demo_surveys()
    from .scenarios import load_demo_scenarios

    scenarios = load_demo_scenarios()
    from .costs import load_demo_costs

    costs = load_demo_costs()
    from .quality import load_demo_quality

    quality = load_demo_quality()
    scenario_line = _(
        "Scénarios de démonstration (52, 54, 55) : une proposition de 4 nouveaux sites par l'optimiseur et une "
        "variante dessinée à la main, à comparer (Diagnostic → Scénarios)."
    )
    seconds = time.perf_counter() - started
    return (
        f"{territory_summary}\n"
        f"Réseau de démonstration (fictif) : {network['sites']} sites, {len(DEMO_DOCTORS)} médecins "
        f"téléconsultants, {network['professionals']} professionnels, {network['cpts']} CPTS ; "
        f"{created} compte(s) créé(s).\n"
        + (
            _("Agendas de démonstration déjà chargés pour aujourd'hui.")
            if agendas["skipped"]
            else _(
                "Agendas de démonstration : %(rules)s disponibilités récurrentes, %(patients)s patients "
                "fictifs, %(appointments)s rendez-vous."
            )
            % agendas
        )
        + (
            "\n"
            + _(
                "Registre d'activité : %(acts)s actes enregistrés depuis les rendez-vous terminés et %(in_person)s "
                "consultations en présentiel importées (Évaluation → Indicateurs)."
            )
            % evaluation
            if evaluation["acts"] or evaluation["in_person"]
            else ""
        )
        + (
            "\n"
            + _(
                "Offre de soins de démonstration (fictive) : %(n)s médecins généralistes dans les communes de plus de "
                "2 500 habitants, pour les kilomètres évités (Diagnostic → Offre de soins)."
            )
            % {"n": practitioners}
            if practitioners
            else ""
        )
        + (
            "\n"
            + _(
                "Enquêtes de satisfaction : %(invited)s patients invités après leur téléconsultation, %(answered)s "
                "réponses ; %(professionals)s réponses de professionnels assistants (Évaluation → Enquêtes)."
            )
            % surveys
            if surveys["invited"]
            else ""
        )
        + ("\n" + scenario_line if "proposal" in scenarios else "")
        + (
            "\n"
            + _(
                "Coûts et financements : %(n)s scénarios sur quatre ans (un par département), tirés de la proposition "
                "de l'optimiseur avec les financements de l'exemple des préconisations (Évaluation → Coûts)."
            )
            % {"n": costs}
            if costs
            else ""
        )
        + (
            "\n"
            + _(
                "Qualité : %(assessments)s auto-évaluations de démonstration (closes, soumise, renvoyée, en cours) "
                "et %(actions)s actions de leurs plans, dont deux en retard ; %(labels)s labels (deux en vigueur, un "
                "suspendu) — Auto-évaluations, Plans d'actions, Labels qualité."
            )
            % quality
            if quality["assessments"]
            else ""
        )
        + f"\nChargé en {seconds:.1f} s."
    )
