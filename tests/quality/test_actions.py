"""Action plans: actions from gaps (owner, due date, status table), overdue flags, email reminders through a
real SMTP server on loopback, and the pages (a site's plan, the territory's list, the directory's panel)."""

from __future__ import annotations

import datetime
import socket
from html import unescape

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler
from django.urls import reverse
from django.utils import timezone

from maille.accounts.models import Role
from maille.core.errors import ConflictError, DomainError
from maille.core.housekeeping import housekeeping_run, registered_jobs
from maille.core.models import AuditEvent
from maille.quality.actions import (
    action_create,
    action_set_status,
    action_update,
    owner_candidates,
    plan_progress,
    send_overdue_reminders,
    today,
)
from maille.quality.assessments import assessment_start
from maille.quality.models import Action, ActionStatus
from tests.factories import SiteFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    return SiteFactory(
        host_organisation__commune__code="55498", host_organisation__commune__departement__code="55"
    )


@pytest.fixture
def staff(site):
    user = user_with_role(Role.SITE_STAFF, site=site)
    user.email, user.first_name, user.last_name = "sacha@example.org", "Sacha", "Accueil"
    user.save()
    return user


@pytest.fixture
def coordinator(site):
    user = user_with_role(Role.COORDINATOR, departement_id="55")
    user.email = "camille@example.org"
    user.save()
    return user


def _criterion(site, code):
    assessment = assessment_start(user_with_role(Role.PLATFORM_ADMIN), site=site)
    return assessment, assessment.version.criteria.get(code=code)


def in_days(days: int) -> str:
    return (today() + datetime.timedelta(days=days)).isoformat()


def late_action(site, owner, *, days_late: int = 3, title: str = "Refaire la photo") -> Action:
    """An action whose due date has passed (created due tomorrow, then moved back as time would)."""
    action = action_create(owner, site=site, title=title, owner_id=owner.pk, due_date=in_days(1))
    Action.objects.filter(pk=action.pk).update(due_date=today() - datetime.timedelta(days=days_late))
    action.refresh_from_db()
    return action


# --- Services ------------------------------------------------------------------------------------------------


def test_an_action_from_a_gap_has_an_owner_a_due_date_and_is_audited(site, staff, coordinator):
    assessment, criterion = _criterion(site, "LIEU-01")
    action = action_create(coordinator, site=site, title="  Photographier   l'entrée ", owner_id=staff.pk,
                           due_date=in_days(30), criterion_id=criterion.pk, assessment=assessment)  # fmt: skip
    assert (action.title, action.owner, action.status, action.criterion) == (
        "Photographier l'entrée",
        staff,
        ActionStatus.TODO,
        criterion,
    )
    assert AuditEvent.objects.filter(
        action="action.create", target_id=str(action.pk), actor=coordinator
    ).exists()


def test_the_owner_is_someone_of_the_site_or_its_territory(site, staff, coordinator):
    SiteFactory(host_organisation__commune__code="52121", host_organisation__commune__departement__code="52")
    elsewhere = user_with_role(Role.COORDINATOR, departement_id="52")
    other_site_staff = user_with_role(Role.SITE_STAFF, site=SiteFactory())
    assert set(owner_candidates(site)) == {staff, coordinator}
    for outsider in (elsewhere, other_site_staff):
        with pytest.raises(DomainError) as refused:
            action_create(staff, site=site, title="x", owner_id=outsider.pk, due_date=in_days(3))
        assert refused.value.details == {"field": "responsable"}
    region_wide = user_with_role(Role.COORDINATOR, region_id=site.commune.departement.region_id)
    assert region_wide in owner_candidates(site)


@pytest.mark.parametrize(
    ("title", "due", "field"),
    [("", 10, "titre"), ("x" * 301, 10, "titre"), ("Ok", -1, "echeance"), ("Ok", 3000, "echeance"),
     ("Ok", None, "echeance")],
)  # fmt: skip
def test_bad_action_input_names_its_field_and_saves_nothing(site, staff, title, due, field):
    with pytest.raises(DomainError) as refused:
        action_create(
            staff,
            site=site,
            title=title,
            owner_id=staff.pk,
            due_date="31/02/2027" if due is None else in_days(due),
        )
    assert refused.value.details == {"field": field}
    assert not Action.objects.exists()


def test_a_criterion_of_another_site_level_is_refused(site, staff):
    _assessment, criterion = _criterion(site, "ORG-03")  # for sites with professionals on the premises
    with pytest.raises(DomainError) as refused:
        action_create(
            staff, site=site, title="x", owner_id=staff.pk, due_date=in_days(3), criterion_id=criterion.pk
        )
    assert refused.value.details == {"field": "critere"}


def test_status_table(site, staff):
    action = action_create(staff, site=site, title="x", owner_id=staff.pk, due_date=in_days(3))
    action = action_set_status(staff, action=action, status=ActionStatus.IN_PROGRESS)
    action = action_set_status(staff, action=action, status=ActionStatus.DONE)
    assert action.completed_at is not None
    with pytest.raises(ConflictError):
        action_set_status(staff, action=action, status=ActionStatus.CANCELLED)
    action = action_set_status(staff, action=action, status=ActionStatus.IN_PROGRESS)  # reopened
    assert action.completed_at is None
    action = action_set_status(staff, action=action, status=ActionStatus.CANCELLED)
    with pytest.raises(ConflictError):
        action_set_status(staff, action=action, status=ActionStatus.DONE)
    with pytest.raises(DomainError):
        action_set_status(staff, action=action, status="finie")
    assert AuditEvent.objects.filter(action="action.status").count() == 4


def test_a_late_action_keeps_its_date_when_edited_but_a_new_date_must_be_to_come(site, staff):
    action = late_action(site, staff)
    past = action.due_date.isoformat()
    action_update(
        staff, action=action, title="Refaire la photo de l'entrée", owner_id=staff.pk, due_date=past
    )
    with pytest.raises(DomainError) as refused:
        action_update(staff, action=action, title="x", owner_id=staff.pk, due_date=in_days(-1 - 10))
    assert refused.value.details == {"field": "echeance"}


def test_progress_counts_done_open_and_overdue_leaving_abandoned_out(site, staff):
    late_action(site, staff)
    done = action_create(staff, site=site, title="b", owner_id=staff.pk, due_date=in_days(3))
    action_set_status(staff, action=done, status=ActionStatus.DONE)
    dropped = action_create(staff, site=site, title="c", owner_id=staff.pk, due_date=in_days(3))
    action_set_status(staff, action=dropped, status=ActionStatus.CANCELLED)
    action_create(staff, site=site, title="d", owner_id=staff.pk, due_date=in_days(3))
    assert plan_progress(Action.objects.all()) == {
        "total": 3,
        "done": 1,
        "open": 2,
        "overdue": 1,
        "percent": 33,
    }


# --- Reminders by email (a real SMTP server on loopback) -----------------------------------------------------


class Inbox(MessageHandler):
    def __init__(self) -> None:
        super().__init__()
        self.received: list = []
        self.refuse = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def handle_message(self, message) -> None:
        self.received.append(message)


@pytest.fixture
def smtp_server(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "ne-pas-repondre@maille.test"
    settings.PUBLIC_BASE_URL = "https://maille.example"
    yield inbox
    controller.stop()


def _body(message) -> str:
    return message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")


def test_each_owner_gets_one_email_listing_their_late_actions_then_not_again_for_a_week(
    site, staff, coordinator, smtp_server
):
    late_action(site, staff, days_late=3, title="Refaire la photo")
    late_action(site, staff, days_late=10, title="Signer la charte")
    late_action(site, coordinator, days_late=1, title="Relire le protocole")
    action_create(staff, site=site, title="Pas en retard", owner_id=staff.pk, due_date=in_days(30))
    assert send_overdue_reminders() == 2
    by_recipient = {message["To"]: message for message in smtp_server.received}
    assert set(by_recipient) == {"sacha@example.org", "camille@example.org"}
    body = _body(by_recipient["sacha@example.org"])
    assert "Signer la charte" in body
    assert "Refaire la photo" in body
    assert "Pas en retard" not in body
    assert "en retard de 10 jour(s)" in body
    assert f"https://maille.example/qualite/sites/{site.pk}/plan/" in body
    assert body.index("Signer la charte") < body.index("Refaire la photo")  # the oldest first
    assert AuditEvent.objects.filter(action="action.remind").count() >= 2
    # the same day, and six days later: nothing; after a week: again
    assert send_overdue_reminders() == 0
    assert send_overdue_reminders(now=timezone.now() + datetime.timedelta(days=6)) == 0
    assert send_overdue_reminders(now=timezone.now() + datetime.timedelta(days=7, minutes=1)) == 2


def test_an_owner_without_email_is_skipped_and_a_refused_email_is_retried(
    site, staff, coordinator, smtp_server
):
    coordinator.email = ""
    coordinator.save()
    late_action(site, coordinator)
    assert send_overdue_reminders() == 0
    action = late_action(site, staff)
    smtp_server.refuse = True
    assert send_overdue_reminders() == 0
    action.refresh_from_db()
    assert action.last_reminded_at is None  # not marked: the next run tries again
    smtp_server.refuse = False
    assert send_overdue_reminders() == 1
    assert [m["To"] for m in smtp_server.received] == ["sacha@example.org"]


def test_the_reminders_run_with_the_housekeeping(site, staff, smtp_server):
    assert "quality_action_reminders" in {job.name for job in registered_jobs()}
    late_action(site, staff)
    assert housekeeping_run()["quality_action_reminders"] == 1
    assert len(smtp_server.received) == 1


def test_a_new_due_date_means_a_fresh_reminder_once_late_again(site, staff, smtp_server):
    action = late_action(site, staff)
    send_overdue_reminders()
    action.refresh_from_db()
    assert action.last_reminded_at is not None
    action_update(staff, action=action, title=action.title, owner_id=staff.pk, due_date=in_days(2))
    action.refresh_from_db()
    assert action.last_reminded_at is None


# --- Pages ---------------------------------------------------------------------------------------------------


def test_the_plan_lists_gaps_without_action_and_creates_one_from_a_gap(client, site, staff):
    assessment = assessment_start(staff, site=site)
    criterion = assessment.version.criteria.get(code="LIEU-01")
    client.force_login(staff)
    page = unescape(client.get(reverse("quality:site_plan", args=[site.pk])).content.decode())
    assert 'data-code="LIEU-01"' in page
    response = client.post(reverse("quality:action_new", args=[site.pk]),
                           {"critere": criterion.pk, "titre": "Photographier la salle", "responsable": staff.pk,
                            "echeance": in_days(20)})  # fmt: skip
    assert response.status_code == 302
    action = Action.objects.get()
    assert (action.criterion, action.assessment) == (criterion, assessment)
    page = unescape(client.get(reverse("quality:site_plan", args=[site.pk])).content.decode())
    assert 'data-code="LIEU-01"' not in page  # covered now
    assert "Photographier la salle" in page


def test_a_refused_action_keeps_what_was_typed(client, site, staff):
    client.force_login(staff)
    response = client.post(reverse("quality:action_new", args=[site.pk]),
                           {"titre": "Former l'équipe", "responsable": staff.pk, "echeance": in_days(-5)})  # fmt: skip
    assert response.status_code == 422
    page = unescape(response.content.decode())
    assert "L'échéance est déjà passée" in page
    assert 'value="Former l\'équipe"' in page
    assert not Action.objects.exists()


def test_overdue_actions_are_flagged_and_filtered(client, site, staff, coordinator):
    late_action(site, staff, days_late=4, title="En retard")
    action_create(staff, site=site, title="À l'heure", owner_id=staff.pk, due_date=in_days(4))
    client.force_login(coordinator)
    page = unescape(client.get(reverse("quality:site_plan", args=[site.pk])).content.decode())
    assert "en retard de 4 jours" in page
    listing = unescape(client.get(reverse("quality:actions"), {"retard": "1"}).content.decode())
    assert "En retard" in listing
    assert "À l'heure" not in listing


def test_site_staff_see_and_change_only_their_sites_plans(client, site, staff):
    other = SiteFactory(
        host_organisation__commune__code="52121", host_organisation__commune__departement__code="52"
    )
    other_staff = user_with_role(Role.SITE_STAFF, site=other)
    theirs = action_create(
        other_staff, site=other, title="Leur action", owner_id=other_staff.pk, due_date=in_days(3)
    )
    client.force_login(staff)
    assert client.get(reverse("quality:site_plan", args=[other.pk])).status_code == 404
    assert "Leur action" not in client.get(reverse("quality:actions")).content.decode()
    assert (
        client.post(reverse("quality:action_status", args=[theirs.pk]), {"etat": "done"}).status_code == 404
    )
    theirs.refresh_from_db()
    assert theirs.status == ActionStatus.TODO


def test_an_evaluator_reads_plans_but_does_not_write_them(client, site, staff):
    action = action_create(staff, site=site, title="Action", owner_id=staff.pk, due_date=in_days(3))
    evaluator = user_with_role(Role.EVALUATOR, departement_id="55")
    client.force_login(evaluator)
    page = client.get(reverse("quality:site_plan", args=[site.pk])).content.decode()
    assert "Action" in page
    assert 'data-testid="edit-form"' not in page
    assert (
        client.post(reverse("quality:action_status", args=[action.pk]), {"etat": "done"}).status_code == 403
    )


def test_the_directory_site_page_loads_the_quality_panel_for_who_reads_it(client, site, staff):
    late_action(site, staff)
    client.force_login(staff)
    page = client.get(reverse("directory:site_detail", args=[site.pk])).content.decode()
    assert reverse("quality:site_panel", args=[site.pk]) in page
    panel = unescape(client.get(reverse("quality:site_panel", args=[site.pk])).content.decode())
    assert "Plan d'actions : 0 action(s) faite(s) sur 1" in panel
    assert "1 en retard" in panel
    operator = user_with_role(Role.OPERATOR, departement_id="55")
    client.force_login(operator)
    page = client.get(reverse("directory:site_detail", args=[site.pk])).content.decode()
    assert reverse("quality:site_panel", args=[site.pk]) not in page
