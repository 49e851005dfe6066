"""Which role may do what: one table of permissions, plain predicates, and the view decorator.

Every page and endpoint names the permission it needs (``PERMISSION_ROLES``); the scope (territory,
site) is applied by ``maille.accounts.scope``. Tests generate the role × route matrix from this table.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied

from .models import Role
from .scope import scope_for

ALL_STAFF = frozenset(Role.values)

PERMISSION_ROLES: dict[str, frozenset[str]] = {
    # Territory
    "territory.view_map": frozenset({Role.PLATFORM_ADMIN, Role.COORDINATOR, Role.EVALUATOR, Role.OPERATOR}),
    "territory.view": ALL_STAFF,
    # Diagnosis: key figures and maps of a zone (aggregates and communes, no patient)
    "diagnosis.view": frozenset({Role.PLATFORM_ADMIN, Role.COORDINATOR, Role.EVALUATOR}),
    # Scenarios and the optimiser: save, change, delete, run (reading them is diagnosis.view)
    "diagnosis.plan": frozenset({Role.PLATFORM_ADMIN, Role.COORDINATOR}),
    # Quality: the referential is read by every staff member; its versions are written by administrators
    "quality.view": ALL_STAFF,
    "quality.edit_referential": frozenset({Role.PLATFORM_ADMIN}),
    # Self-assessments: read by the sites' staff and the territory's coordinators and evaluators; filled in by
    # the site's staff; reviewed by a coordinator or an evaluator who does not work at the site
    "quality.view_assessments": frozenset(
        {Role.PLATFORM_ADMIN, Role.COORDINATOR, Role.SITE_STAFF, Role.EVALUATOR}
    ),
    "quality.assess": frozenset({Role.PLATFORM_ADMIN, Role.SITE_STAFF}),
    "quality.review": frozenset({Role.PLATFORM_ADMIN, Role.COORDINATOR, Role.EVALUATOR}),
    # Action plans: written by the site's staff and the territory's coordinators (read: view_assessments)
    "quality.plan_actions": frozenset({Role.PLATFORM_ADMIN, Role.COORDINATOR, Role.SITE_STAFF}),
    # Labels: requested by the site's staff, decided by a coordinator of the territory not of the site (read by
    # whoever reads the assessments; that a label is in force is public in the directory)
    "quality.request_label": frozenset({Role.PLATFORM_ADMIN, Role.SITE_STAFF}),
    "quality.decide_label": frozenset({Role.PLATFORM_ADMIN, Role.COORDINATOR}),
    # The charter: read by every staff member (quality.view), signed by a site's staff for their site and by
    # professionals for themselves, written by administrators
    # The maturity dashboard of a territory (aggregates per site, no patient)
    "quality.view_maturity": frozenset({Role.PLATFORM_ADMIN, Role.COORDINATOR, Role.EVALUATOR}),
    "quality.sign_charter": frozenset({Role.PLATFORM_ADMIN, Role.SITE_STAFF, Role.REMOTE_DOCTOR}),
    "quality.edit_charter": frozenset({Role.PLATFORM_ADMIN}),
    # Evaluation: the activity ledger of the scope (acts, pseudonymised: no patient identity) and the tariffs
    "evaluation.view_activity": frozenset(
        {Role.PLATFORM_ADMIN, Role.COORDINATOR, Role.EVALUATOR, Role.SITE_STAFF}
    ),
    # Importing acts done outside Maille (for the sites and communes the coordinator manages)
    "evaluation.import_acts": frozenset({Role.PLATFORM_ADMIN, Role.COORDINATOR}),
    # Launching a survey of the assisting professionals of the territory (results: view_activity)
    "evaluation.manage_surveys": frozenset({Role.PLATFORM_ADMIN, Role.COORDINATOR}),
    # Handing the patients' survey to a patient at the site, after their teleconsultation (the site's staff)
    "evaluation.hand_survey": frozenset({Role.PLATFORM_ADMIN, Role.SITE_STAFF}),
    # The cost and funding model of a territory's network: read by its coordinators and evaluators, written by
    # its coordinators
    "evaluation.view_costs": frozenset({Role.PLATFORM_ADMIN, Role.COORDINATOR, Role.EVALUATOR}),
    "evaluation.manage_costs": frozenset({Role.PLATFORM_ADMIN, Role.COORDINATOR}),
    # The territorial committee's report (activity, quality, costs of a territory: aggregates, no patient)
    "evaluation.view_reports": frozenset({Role.PLATFORM_ADMIN, Role.COORDINATOR, Role.EVALUATOR}),
    # A new period of a billing code's tariff
    "evaluation.manage_tariffs": frozenset({Role.PLATFORM_ADMIN}),
    # Directory
    "directory.view": ALL_STAFF,
    "directory.edit_site": frozenset({Role.PLATFORM_ADMIN, Role.COORDINATOR, Role.SITE_STAFF}),
    "directory.manage": frozenset({Role.PLATFORM_ADMIN, Role.COORDINATOR}),
    # Scheduling: agendas, bookings, patients (the scope — territory, site, own agenda — applies on top)
    "scheduling.view_agenda": frozenset(
        {Role.PLATFORM_ADMIN, Role.COORDINATOR, Role.SITE_STAFF, Role.REMOTE_DOCTOR, Role.OPERATOR}
    ),
    "scheduling.edit_availability": frozenset(
        {Role.PLATFORM_ADMIN, Role.COORDINATOR, Role.SITE_STAFF, Role.REMOTE_DOCTOR}
    ),
    "scheduling.book": frozenset({Role.PLATFORM_ADMIN, Role.COORDINATOR, Role.SITE_STAFF, Role.OPERATOR}),
    "scheduling.run_appointment": frozenset({Role.PLATFORM_ADMIN, Role.SITE_STAFF, Role.REMOTE_DOCTOR}),
    # The day pages: a site's whole day (its staff), a remote doctor's own day
    "scheduling.site_day": frozenset({Role.PLATFORM_ADMIN, Role.SITE_STAFF}),
    "scheduling.doctor_day": frozenset({Role.REMOTE_DOCTOR}),
    "scheduling.view_patient": frozenset(
        {Role.PLATFORM_ADMIN, Role.SITE_STAFF, Role.REMOTE_DOCTOR, Role.OPERATOR}
    ),
    # Messages to patients (the outbox page; each message in the scope of its appointment)
    "notifications.view_outbox": frozenset(
        {Role.PLATFORM_ADMIN, Role.COORDINATOR, Role.SITE_STAFF, Role.OPERATOR}
    ),
    # API and FHIR reads of the directory and territory
    "api.read": ALL_STAFF,
    # Administration of reference data
    "admin.reference_data": frozenset({Role.PLATFORM_ADMIN}),
}

F = TypeVar("F", bound=Callable[..., Any])


def has_permission(user: Any, permission: str) -> bool:
    if permission not in PERMISSION_ROLES:
        raise KeyError(f"Unknown permission {permission!r}: add it to PERMISSION_ROLES.")
    return scope_for(user).has_role(*PERMISSION_ROLES[permission])


def require_permission(permission: str) -> Callable[[F], F]:
    """View decorator: login required (redirect), then the role check (403 page)."""
    if permission not in PERMISSION_ROLES:
        raise KeyError(f"Unknown permission {permission!r}: add it to PERMISSION_ROLES.")

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(request: Any, *args: Any, **kwargs: Any) -> Any:
            from django.contrib.auth.views import redirect_to_login

            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_permission(request.user, permission):
                raise PermissionDenied("Votre rôle ne donne pas accès à cette page.")
            return view(request, *args, **kwargs)

        wrapped.required_permission = permission  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator
