"""Action plans: every gap of an assessment can become an action with an owner, a due date and a status;
overdue actions are flagged on the pages and their owners reminded by email (a housekeeping job).

Statuses (``TRANSITIONS``): to do → in progress → done; to do or in progress → abandoned; a done or abandoned
action may be reopened. Each write is audited (``action.*``).
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maille.accounts.models import Role, RoleGrant
from maille.core.audit import audit_record
from maille.core.errors import ConflictError, DomainError

from .models import OPEN_ACTION_STATUSES, Action, ActionStatus, Assessment, Criterion

logger = logging.getLogger(__name__)

TRANSITIONS: dict[str, frozenset[str]] = {
    ActionStatus.TODO: frozenset({ActionStatus.IN_PROGRESS, ActionStatus.DONE, ActionStatus.CANCELLED}),
    ActionStatus.IN_PROGRESS: frozenset({ActionStatus.TODO, ActionStatus.DONE, ActionStatus.CANCELLED}),
    ActionStatus.DONE: frozenset({ActionStatus.IN_PROGRESS}),
    ActionStatus.CANCELLED: frozenset({ActionStatus.TODO}),
}
STATUS_VERBS = {
    ActionStatus.TODO: gettext_lazy("remettre à faire"),
    ActionStatus.IN_PROGRESS: gettext_lazy("passer en cours"),
    ActionStatus.DONE: gettext_lazy("marquer comme faite"),
    ActionStatus.CANCELLED: gettext_lazy("abandonner"),
}
LONGEST_HORIZON_DAYS = 5 * 366


def today() -> datetime.date:
    return timezone.localdate()


def owner_candidates(site: Any) -> QuerySet[Any]:
    """Who may own an action of ``site``: its staff, and the coordinators whose territory holds it."""
    commune = site.commune
    # Only the territories the site lies in (a commune without an EPCI must not match every grant without one).
    holds_site = Q(departement_id=commune.departement_id) | Q(region_id=commune.departement.region_id)
    if commune.epci_id:
        holds_site |= Q(epci_id=commune.epci_id)
    holds_site |= Q(cpts__in=commune.cpts.all())
    territory = Q(role=Role.COORDINATOR) & holds_site
    grants = RoleGrant.objects.filter(Q(role=Role.SITE_STAFF, site=site) | territory)
    return (
        get_user_model()
        .objects.filter(is_active=True, pk__in=grants.values("user"))
        .order_by("last_name", "first_name", "username")
    )


def _field_error(message: str, field: str, code: str) -> DomainError:
    return DomainError(message, code=code, details={"field": field})


def _parse_due_date(raw: Any, *, allow_past: bool) -> datetime.date:
    if isinstance(raw, datetime.date):
        value = raw
    else:
        try:
            value = datetime.date.fromisoformat(str(raw or "").strip())
        except ValueError:
            raise _field_error(
                _("Indiquez une échéance (jour, mois, année)."), "echeance", "invalid_due_date"
            ) from None
    if not allow_past and value < today():
        raise _field_error(
            _("L'échéance est déjà passée : choisissez une date à venir."), "echeance", "due_date_past"
        )
    if value > today() + datetime.timedelta(days=LONGEST_HORIZON_DAYS):
        raise _field_error(
            _("L'échéance est à plus de cinq ans : rapprochez-la."), "echeance", "due_date_far"
        )
    return value


def _clean_title(raw: Any) -> str:
    title = " ".join(str(raw or "").split())
    if not title:
        raise _field_error(_("Décrivez l'action à mener."), "titre", "title_required")
    if len(title) > 300:
        raise _field_error(_("L'action se décrit en 300 caractères au plus."), "titre", "title_too_long")
    return title


def _owner(site: Any, owner_id: Any) -> Any:
    try:
        owner = owner_candidates(site).filter(pk=int(owner_id)).first()
    except (TypeError, ValueError):
        owner = None
    if owner is None:
        raise _field_error(
            _("Choisissez comme responsable une personne du site ou un coordinateur de son territoire."),
            "responsable",
            "invalid_owner",
        )
    return owner


def action_create(
    user: Any,
    *,
    site: Any,
    title: Any,
    owner_id: Any,
    due_date: Any,
    criterion_id: Any = "",
    assessment: Assessment | None = None,
) -> Action:
    """A new action for ``site`` (the caller has checked the user plans its actions), possibly closing the gap
    of one criterion found by one of its assessments."""
    clean_title = _clean_title(title)
    owner = _owner(site, owner_id)
    due = _parse_due_date(due_date, allow_past=False)
    criterion = None
    if criterion_id not in ("", None):
        try:
            criterion = Criterion.objects.get(pk=int(criterion_id))
        except (TypeError, ValueError, Criterion.DoesNotExist):
            criterion = None
        if criterion is None or not criterion.applies_to(site.level):
            raise _field_error(
                _("Ce critère ne concerne pas ce site."), "critere", "criterion_not_applicable"
            )
    if assessment is not None and assessment.site_id != site.pk:
        raise _field_error(_("Cette auto-évaluation est celle d'un autre site."), "evaluation", "other_site")
    with transaction.atomic():
        action = Action.objects.create(
            site=site,
            assessment=assessment,
            criterion=criterion,
            title=clean_title,
            owner=owner,
            due_date=due,
            created_by=user,
        )
        audit_record(
            actor=user,
            action="action.create",
            target=action,
            details={
                "criterion": criterion.code if criterion else "",
                "due": due.isoformat(),
                "owner": owner.pk,
            },
        )
    return action


def action_update(
    user: Any, *, action: Action, title: Any, owner_id: Any, due_date: Any, progress_note: Any = ""
) -> Action:
    clean_title = _clean_title(title)
    owner = _owner(action.site, owner_id)
    # An action already late may keep its date; a new date must be to come.
    due = _parse_due_date(due_date, allow_past=str(due_date) == action.due_date.isoformat())
    note = str(progress_note or "").strip()
    if len(note) > 2000:
        raise _field_error(_("La note dépasse 2 000 caractères."), "note", "note_too_long")
    with transaction.atomic():
        action = Action.objects.select_for_update().get(pk=action.pk)
        changed = {
            name: True
            for name, old, new in (
                ("title", action.title, clean_title),
                ("owner", action.owner_id, owner.pk),
                ("due_date", action.due_date, due),
                ("progress_note", action.progress_note, note),
            )
            if old != new
        }
        if not changed:
            return action
        action.title, action.owner, action.due_date, action.progress_note = clean_title, owner, due, note
        if "due_date" in changed or "owner" in changed:
            action.last_reminded_at = None  # a new date or owner: remind afresh once it is late
        action.save()
        audit_record(actor=user, action="action.update", target=action, details={"changed": sorted(changed)})
    return action


def action_set_status(user: Any, *, action: Action, status: str, note: str = "") -> Action:
    if status not in ActionStatus.values:
        raise _field_error(_("Cet état n'existe pas."), "etat", "invalid_status")
    with transaction.atomic():
        action = Action.objects.select_for_update().get(pk=action.pk)
        if status not in TRANSITIONS[action.status]:
            raise ConflictError(
                _("Cette action est %(status)s : impossible de la %(verb)s.")
                % {"status": action.get_status_display(), "verb": STATUS_VERBS[ActionStatus(status)]},
                code="action_transition",
            )
        previous = action.status
        action.status = status
        action.completed_at = timezone.now() if status == ActionStatus.DONE else None
        note = str(note or "").strip()[:2000]
        if note:
            action.progress_note = note
        action.save()
        audit_record(
            actor=user, action="action.status", target=action, details={"from": previous, "to": status}
        )
    return action


def overdue_actions(
    actions: QuerySet[Action] | None = None, *, on: datetime.date | None = None
) -> QuerySet[Action]:
    base = Action.objects.all() if actions is None else actions
    return base.filter(status__in=OPEN_ACTION_STATUSES, due_date__lt=on or today())


def plan_progress(actions: QuerySet[Action]) -> dict[str, int]:
    """Counts for a site's plan: all (abandoned ones left out), done, open, overdue."""
    rows = list(actions.exclude(status=ActionStatus.CANCELLED).values_list("status", "due_date"))
    day = today()
    done = sum(1 for status, _due in rows if status == ActionStatus.DONE)
    overdue = sum(1 for status, due in rows if status in OPEN_ACTION_STATUSES and due < day)
    total = len(rows)
    return {
        "total": total,
        "done": done,
        "open": total - done,
        "overdue": overdue,
        "percent": round(100 * done / total) if total else 0,
    }


def send_overdue_reminders(*, now: datetime.datetime | None = None) -> int:
    """Email each owner of overdue actions one message listing them; an action is reminded again only after
    ``QUALITY_ACTION_REMINDER_DAYS``. Returns the number of emails sent. An owner without an email address is
    skipped (and logged by count, never by name)."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    since = now - datetime.timedelta(days=settings.QUALITY_ACTION_REMINDER_DAYS)
    due = (
        overdue_actions(on=day)
        .filter(Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lt=since))
        .select_related("owner", "site")
        .order_by("owner_id", "due_date", "pk")
    )
    by_owner: dict[int, list[Action]] = defaultdict(list)
    for action in due:
        by_owner[action.owner_id].append(action)
    sent = skipped = failed = 0
    for actions in by_owner.values():
        owner = actions[0].owner
        if not owner.email or not owner.is_active:
            skipped += 1
            continue
        try:
            with transaction.atomic():
                # Claimed under a row lock, so that two housekeeping processes never send the same reminder;
                # sent before the claim commits, so that a refused email leaves the actions to remind next time.
                claimed = list(
                    Action.objects.select_for_update(of=("self",))
                    .filter(pk__in=[a.pk for a in actions])
                    .filter(Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lt=since))
                    .select_related("site")
                    .order_by("due_date", "pk")
                )
                if not claimed:
                    continue
                Action.objects.filter(pk__in=[a.pk for a in claimed]).update(last_reminded_at=now)
                for action in claimed:
                    audit_record(
                        actor=None,
                        action="action.remind",
                        target=action,
                        details={"due": action.due_date.isoformat()},
                    )
                _send_reminder(owner, claimed, day)
        except OSError:  # SMTP refused or unreachable (smtplib's errors are OSErrors): next run retries
            failed += 1
            continue
        sent += 1
    if skipped or failed:
        logger.warning(
            "quality reminders: %s owner(s) without an email address, %s email(s) not accepted",
            skipped,
            failed,
        )
    return sent


def _send_reminder(owner: Any, actions: list[Action], day: datetime.date) -> None:
    lines = [
        _("- %(title)s (%(site)s), échéance le %(due)s, en retard de %(days)s jour(s) : %(url)s")
        % {
            "title": action.title,
            "site": action.site.name,
            "due": action.due_date.strftime("%d/%m/%Y"),
            "days": (day - action.due_date).days,
            "url": settings.PUBLIC_BASE_URL + reverse("quality:site_plan", args=[action.site_id]),
        }
        for action in actions
    ]
    body = "\n".join(
        [
            _("Bonjour,"),
            "",
            _("Ces actions du plan qualité dont vous êtes responsable ont dépassé leur échéance :"),
            "",
            *lines,
            "",
            _("Mettez-les à jour (en cours, faite, nouvelle échéance) depuis la page du plan d'actions."),
            "",
            _("— Maille, réseau territorial de téléconsultation"),
        ]
    )
    subject = _("Plan qualité : %(count)s action(s) en retard") % {"count": len(actions)}
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [owner.email], fail_silently=False)
