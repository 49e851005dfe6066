"""The patients' survey handed over at the site: for patients the outbox cannot reach, or who answer at once."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from maille.accounts.models import Role
from maille.core.models import AuditEvent
from maille.evaluation.models import SurveyInvitation, SurveyKind
from maille.evaluation.surveys import (
    PatientAnswers,
    SurveyRefused,
    at_site_refusal,
    invitation_from_token,
    patient_invite_at_site,
    survey_answer,
    survey_message_due_at,
    survey_overall,
)
from maille.notifications.models import MessageState
from maille.notifications.services import deliver
from maille.scheduling.models import Appointment
from tests.factories import user_with_role
from tests.patients.factories import PatientFactory
from tests.scheduling.factories import make_network, make_site, paris
from tests.scheduling.test_views_support import appointment_at

from .helpers import completed

pytestmark = pytest.mark.django_db

MONDAY_NINE = paris(2026, 3, 2, 9)
URL = re.compile(r"https://rdv\.example\.fr/avis/([A-Za-z0-9_-]+)/")


@pytest.fixture(autouse=True)
def _outbox(settings, tmp_path):
    settings.NOTIFICATIONS_FILE = str(tmp_path / "outbox.jsonl")
    settings.NOTIFICATIONS_SMS_BACKEND = "file"
    settings.PUBLIC_BASE_URL = "https://rdv.example.fr"


@pytest.fixture
def net():
    return make_network()


@pytest.fixture
def staff(net):
    return user_with_role(Role.SITE_STAFF, site=net.site)


def unreachable():
    return PatientFactory(phone="+33329000000", email="", last_name="Sansmobile")  # a landline only


def page(client, user, appointment, method="get"):
    client.force_login(user)
    url = reverse("evaluation:survey_at_site", args=[appointment.pk])
    return getattr(client, method)(url)


# --- the service --------------------------------------------------------------------------------------------
def test_a_patient_without_mobile_nor_email_gets_the_survey_at_the_site(net, staff):
    appointment = completed(net, at=MONDAY_NINE, patient=unreachable())
    assert not SurveyInvitation.objects.exists()  # the outbox could not reach them
    handed = patient_invite_at_site(staff, appointment, channel="site")
    invitation = SurveyInvitation.objects.get()
    assert (invitation.kind, invitation.appointment, invitation.handed_at_site, invitation.message) == (
        SurveyKind.PATIENT, appointment, True, None)  # fmt: skip
    assert handed.url == f"https://rdv.example.fr/avis/{handed.token}/"
    assert invitation_from_token(handed.token) == invitation  # the link opens the survey
    assert invitation.expires_at > timezone.now() + dt.timedelta(days=29)
    event = AuditEvent.objects.get(action="survey.hand_at_site")
    assert (event.actor, event.channel, event.target_id) == (staff, "site", str(invitation.pk))
    # handed over, it counts as delivered in the response rate
    day = appointment.starts_at.date()
    assert (survey_overall(SurveyKind.PATIENT, [net.site.pk], day, day).delivered) == 1


def test_a_new_link_replaces_the_one_handed_before(net, staff):
    appointment = completed(net, at=MONDAY_NINE, patient=unreachable())
    first = patient_invite_at_site(staff, appointment, channel="site")
    second = patient_invite_at_site(staff, appointment, channel="site")
    assert SurveyInvitation.objects.count() == 1
    assert invitation_from_token(second.token).pk == first.invitation.pk
    with pytest.raises(SurveyRefused):
        invitation_from_token(first.token)


def test_a_message_not_sent_yet_is_cancelled_and_one_sent_is_not_doubled(net, staff):
    reachable = completed(net, at=MONDAY_NINE, patient=PatientFactory(phone="+33612345678", email=""))
    pending = SurveyInvitation.objects.select_related("message").get()
    assert pending.message.state == MessageState.PENDING
    assert survey_message_due_at(reachable) == pending.message.send_after  # the page says when it would leave
    patient_invite_at_site(staff, reachable, channel="site")
    pending.message.refresh_from_db()
    assert pending.message.state == MessageState.CANCELLED  # answered at the site: no SMS two hours later
    patient_invite_at_site(staff, reachable, channel="site")  # and handed over again if need be

    other = completed(
        net, at=MONDAY_NINE + dt.timedelta(hours=1), patient=PatientFactory(phone="+33612345679")
    )
    sent = SurveyInvitation.objects.select_related("message").get(appointment=other)
    assert (
        deliver(sent.message.pk, now=sent.message.send_after + dt.timedelta(minutes=1)) == MessageState.SENT
    )
    with pytest.raises(SurveyRefused) as refused:
        patient_invite_at_site(staff, other, channel="site")
    assert refused.value.code == "survey_sent"
    assert "déjà été envoyé" in refused.value.message


def test_what_cannot_be_handed_over_is_named(net, staff, settings):
    appointment = completed(net, at=MONDAY_NINE, patient=unreachable())
    handed = patient_invite_at_site(staff, appointment, channel="site")
    survey_answer(handed.token, PatientAnswers(score=9, reasons=frozenset(), booking_ease=4))
    assert at_site_refusal(appointment).code == "survey_answered"
    # the same patient, another teleconsultation soon after: asked once a quarter at most
    patient = appointment.patient
    again = completed(net, at=MONDAY_NINE + dt.timedelta(days=1), patient=patient)
    refusal = at_site_refusal(again)
    assert refusal.code == "survey_asked_recently"
    assert "pas de nouveau questionnaire avant le" in refusal.message
    settings.EVALUATION_SURVEY_PATIENTS = False
    assert at_site_refusal(
        completed(net, at=MONDAY_NINE + dt.timedelta(hours=2), patient=unreachable())
    ).code == ("survey_disabled")
    assert AuditEvent.objects.filter(action="survey.hand_at_site").count() == 1  # refusals write nothing


def test_only_after_the_teleconsultation(net, staff):
    booked = Appointment.objects.get(pk=appointment_at(net.site))
    with pytest.raises(SurveyRefused) as refused:
        patient_invite_at_site(staff, booked, channel="site")
    assert refused.value.code == "survey_not_completed"
    assert not SurveyInvitation.objects.exists()


# --- the page -----------------------------------------------------------------------------------------------
def test_the_page_prepares_the_link_once_and_shows_no_identity(client, net, staff):
    appointment = completed(net, at=MONDAY_NINE, patient=unreachable())
    before = page(client, staff, appointment)
    assert before.status_code == 200
    assert 'data-testid="survey-prepare-form"' in before.content.decode()
    response = page(client, staff, appointment, "post")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    text = html.unescape(response.content.decode())
    token = URL.search(text).group(1)
    assert invitation_from_token(token).appointment == appointment
    assert "<svg" in text  # the QR code
    assert "Sansmobile" not in text  # no patient identity on the page, so no identity read
    assert token not in response.get("Location", "")
    # reopened, the page does not show the link again (only its hash is kept): a new one can be prepared
    reopened = html.unescape(page(client, staff, appointment).content.decode())
    assert token not in reopened
    assert 'data-testid="survey-prepare-form"' in reopened


def test_a_refusal_is_explained_in_french(client, net, staff):
    appointment = completed(net, at=MONDAY_NINE, patient=unreachable())
    handed = patient_invite_at_site(staff, appointment, channel="site")
    survey_answer(handed.token, PatientAnswers(score=7, reasons=frozenset(), booking_ease=3))
    response = page(client, staff, appointment, "post")
    assert response.status_code == 409
    assert "Le patient a déjà répondu au questionnaire de ce rendez-vous." in html.unescape(
        response.content.decode()
    )


def test_only_the_sites_staff_hand_it_over(client, net, staff):
    appointment = completed(net, at=MONDAY_NINE, patient=unreachable())
    other_site_staff = user_with_role(Role.SITE_STAFF, site=make_site(use=net.use))
    assert page(client, other_site_staff, appointment, "post").status_code == 404
    coordinator = user_with_role(Role.COORDINATOR, departement_id=net.site.commune.departement_id)
    assert page(client, coordinator, appointment, "post").status_code == 403
    assert not SurveyInvitation.objects.exists()


def test_the_sites_day_links_a_completed_teleconsultation_to_its_survey(client, net, staff):
    done = completed(net, at=MONDAY_NINE, patient=unreachable())
    booked = Appointment.objects.get(pk=appointment_at(net.site))
    client.force_login(staff)
    day = html.unescape(
        client.get(
            reverse("scheduling:site_day", args=[net.site.pk]), {"jour": "2026-03-02"}
        ).content.decode()
    )
    assert reverse("evaluation:survey_at_site", args=[done.pk]) in day
    later = client.get(reverse("scheduling:site_day", args=[net.site.pk]), {"jour": booked.starts_at.date()})
    assert reverse("evaluation:survey_at_site", args=[booked.pk]) not in later.content.decode()


@pytest.mark.parametrize(("state", "handed"), [(MessageState.SENDING, False), (MessageState.FAILED, True)])
def test_a_message_on_its_way_is_not_doubled_and_a_failed_one_is_replaced(net, staff, state, handed):
    appointment = completed(net, at=MONDAY_NINE, patient=PatientFactory(phone="+33612345678", email=""))
    message = SurveyInvitation.objects.select_related("message").get().message
    message.state = state  # a worker's claim holds it a while
    message.claimed_until = (
        timezone.now() + dt.timedelta(minutes=2) if state == MessageState.SENDING else None
    )
    message.save(update_fields=["state", "claimed_until"])
    if handed:
        patient_invite_at_site(staff, appointment, channel="site")
        assert SurveyInvitation.objects.get().handed_at_site
    else:
        with pytest.raises(SurveyRefused):
            patient_invite_at_site(staff, appointment, channel="site")
        assert not SurveyInvitation.objects.get().handed_at_site
