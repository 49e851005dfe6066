"""Satisfaction surveys: who is invited and when, an answer recorded once and anonymously, and the results
checked against values computed by hand."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from maille.accounts.models import Role
from maille.core.models import AuditEvent
from maille.evaluation.models import SurveyCampaign, SurveyInvitation, SurveyKind, SurveyResponse
from maille.evaluation.surveys import (
    PatientAnswers,
    ProfessionalAnswers,
    SurveyRefused,
    campaign_launch,
    in_daytime,
    invitation_from_token,
    patient_invite,
    survey_answer,
    survey_results,
    token_hash,
)
from maille.notifications.models import Message, MessageKind, MessageState
from maille.notifications.services import deliver
from maille.scheduling.wallclock import PARIS
from tests.directory.factories import NetworkRoleFactory, ProfessionalFactory
from tests.factories import user_with_role
from tests.patients.factories import PatientFactory
from tests.scheduling.factories import make_network, make_site, paris

from .helpers import completed

pytestmark = pytest.mark.django_db

MONDAY_NINE = paris(2026, 3, 2, 9)


@pytest.fixture(autouse=True)
def _outbox(settings, tmp_path):
    settings.NOTIFICATIONS_FILE = str(tmp_path / "outbox.jsonl")
    settings.NOTIFICATIONS_SMS_BACKEND = "file"
    settings.NOTIFICATIONS_EMAIL_BACKEND = "file"
    settings.EVALUATION_SURVEY_MIN_ANSWERS = 5
    settings.PUBLIC_BASE_URL = "https://rdv.example.fr"


@pytest.fixture
def net():
    return make_network()


def token_of(message: Message) -> str:
    match = re.search(r"https://rdv\.example\.fr/avis/([A-Za-z0-9_-]+)/", message.body)
    assert match, message.body
    return match.group(1)


def invite(net, *, patient=None, at=MONDAY_NINE) -> tuple[SurveyInvitation, str]:
    completed(net, at=at, patient=patient or PatientFactory())
    invitation = SurveyInvitation.objects.select_related("message").latest("pk")
    return invitation, token_of(invitation.message)


# --- invitations --------------------------------------------------------------------------------------------
def test_a_completed_teleconsultation_invites_its_patient_by_sms_two_hours_later_in_daytime(net):
    before = timezone.now()
    patient = PatientFactory(phone="+33612345678", email="")
    appointment = completed(net, at=MONDAY_NINE, patient=patient)
    invitation = SurveyInvitation.objects.get()
    assert (invitation.kind, invitation.appointment, invitation.patient, invitation.site) == (
        SurveyKind.PATIENT, appointment, patient, net.site)  # fmt: skip
    assert invitation.month == dt.date(2026, 3, 1)  # the month of the teleconsultation
    message = invitation.message
    assert (message.kind, message.channel, message.recipient, message.state) == (
        MessageKind.SURVEY, "sms", "+33612345678", MessageState.PENDING)  # fmt: skip
    assert message.send_after == in_daytime(message.send_after)
    assert message.send_after >= before + dt.timedelta(hours=2)
    assert invitation.expires_at == message.send_after + dt.timedelta(days=30)
    token = token_of(message)
    # only the hash of the link's token is stored; no name in the SMS
    assert invitation.token_hash == token_hash(token) != token
    assert patient.last_name not in message.body
    assert net.site.name in message.body


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ((2026, 3, 2, 14, 30), (2026, 3, 2, 14, 30)),
        ((2026, 3, 2, 19, 5), (2026, 3, 3, 9, 0)),
        ((2026, 3, 2, 23, 59), (2026, 3, 3, 9, 0)),
        ((2026, 3, 3, 6, 10), (2026, 3, 3, 9, 0)),
        ((2026, 3, 3, 9, 0), (2026, 3, 3, 9, 0)),
    ],
)
def test_messages_are_moved_into_daytime(local, expected):
    moment = dt.datetime(*local, tzinfo=PARIS)
    assert in_daytime(moment) == dt.datetime(*expected, tzinfo=PARIS)


def test_a_patient_without_mobile_nor_email_is_not_invited_and_a_caregiver_is_written_to(net):
    completed(net, at=MONDAY_NINE, patient=PatientFactory(phone="+33329000000", email=""))  # a landline
    assert not SurveyInvitation.objects.exists()
    caregiver = PatientFactory(phone="", email="aidant@example.fr")
    completed(net, at=MONDAY_NINE + dt.timedelta(hours=1),
              patient=PatientFactory(phone="", email="", caregiver=caregiver))  # fmt: skip
    invitation = SurveyInvitation.objects.get()
    assert (invitation.message.channel, invitation.message.recipient) == ("email", "aidant@example.fr")
    assert invitation.message.body.startswith("Bonjour,")


def test_a_patient_is_asked_once_a_quarter_at_most_and_not_when_surveys_are_off(net, settings):
    patient = PatientFactory()
    completed(net, at=MONDAY_NINE, patient=patient)
    completed(net, at=MONDAY_NINE + dt.timedelta(days=1), patient=patient)
    assert SurveyInvitation.objects.filter(patient=patient).count() == 1
    # and the same appointment twice (a subscriber called again) adds nothing
    appointment = SurveyInvitation.objects.get().appointment
    assert patient_invite(appointment, now=timezone.now() + dt.timedelta(days=200)) is None
    settings.EVALUATION_SURVEY_PATIENTS = False
    completed(net, at=MONDAY_NINE + dt.timedelta(days=2), patient=PatientFactory())
    assert SurveyInvitation.objects.count() == 1


def test_the_survey_message_of_a_completed_appointment_is_delivered(net):
    invitation, _token = invite(net)
    later = invitation.message.send_after + dt.timedelta(minutes=1)
    assert deliver(invitation.message.pk, now=later) == MessageState.SENT


# --- answers ------------------------------------------------------------------------------------------------
def test_an_answer_is_recorded_once_without_a_link_to_the_patient(net):
    invitation, token = invite(net)
    survey_answer(
        token, PatientAnswers(score=8, reasons=frozenset({"reason_no_gp", "reason_closer"}), booking_ease=4)
    )
    response = SurveyResponse.objects.get()
    assert (response.kind, response.site, response.use, response.month, response.score, response.booking_ease) == (
        SurveyKind.PATIENT, net.site, net.use, dt.date(2026, 3, 1), 8, 4)  # fmt: skip
    assert (response.reason_no_gp, response.reason_closer, response.reason_sooner) == (True, True, False)
    invitation.refresh_from_db()
    assert invitation.answered_on == timezone.localdate()
    # the message not sent yet is not sent any more (answered on the site's tablet)
    assert Message.objects.get(pk=invitation.message_id).state == MessageState.CANCELLED
    with pytest.raises(SurveyRefused) as refused:
        survey_answer(token, PatientAnswers(score=2, reasons=frozenset(), booking_ease=None))
    assert refused.value.code == "survey_answered"
    assert SurveyResponse.objects.count() == 1
    assert (
        AuditEvent.objects.filter(action="survey.answer", target_id=str(invitation.pk), actor=None).count()
        == 1
    )


def test_an_answer_keeps_nothing_that_leads_back_to_its_invitation():
    relations = {f.related_model._meta.label for f in SurveyResponse._meta.get_fields() if f.is_relation}
    assert relations == {"directory.Site", "directory.Use", "evaluation.SurveyCampaign"}
    names = {f.name for f in SurveyResponse._meta.get_fields()}
    assert not names & {"created_at", "answered_at", "invitation", "patient", "appointment", "token_hash"}
    assert SurveyResponse._meta.pk.get_internal_type() == "UUIDField"  # no order to match with invitations


def test_links_that_are_not_valid_are_refused(net):
    invitation, token = invite(net)
    with pytest.raises(SurveyRefused) as refused:
        invitation_from_token(token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert refused.value.code == "survey_invalid"
    with pytest.raises(SurveyRefused) as refused:
        invitation_from_token(token, now=invitation.expires_at + dt.timedelta(seconds=1))
    assert refused.value.code == "survey_expired"
    with pytest.raises(SurveyRefused):
        survey_answer(token, ProfessionalAnswers(score=5, equipment_ease=3, doctor_collaboration=3,
                                                 meets_patient_needs=3))  # fmt: skip
    assert not SurveyResponse.objects.exists()


# --- results ------------------------------------------------------------------------------------------------
def _answered(net, scores, *, ease=3, reasons=frozenset({"reason_sooner"}), day=MONDAY_NINE):
    for i, score in enumerate(scores):
        _invitation, token = invite(net, at=day + dt.timedelta(days=i // 3, minutes=30 * (i % 3)))
        survey_answer(token, PatientAnswers(score=score, reasons=reasons, booking_ease=ease))


def test_patient_results_against_hand_computed_values(net):
    other = make_network(use=net.use, departement="52")
    _answered(net, [10, 9, 8, 7, 6, 5], reasons=frozenset({"reason_no_gp"}))
    _answered(other, [2, 4], ease=None, reasons=frozenset({"reason_closer", "reason_no_gp"}))
    # two invitations at the first site not answered: one sent, one never sent (its message failed)
    sent, _t = invite(net, at=paris(2026, 3, 20, 9))
    Message.objects.filter(pk=sent.message_id).update(state=MessageState.SENT)
    failed, _t = invite(net, at=paris(2026, 3, 20, 10))
    Message.objects.filter(pk=failed.message_id).update(state=MessageState.FAILED)
    results = survey_results(SurveyKind.PATIENT, [net.site.pk, other.site.pk], dt.date(2026, 3, 1),
                             dt.date(2026, 3, 31))  # fmt: skip
    overall = results.overall
    # 10 invitations, 9 reached their patient (8 answered + 1 sent), 8 answers
    assert (overall.invited, overall.delivered, overall.answered) == (10, 9, 8)
    assert overall.response_rate == round(100 * 8 / 9, 1) == 88.9
    assert overall.score_mean == round((10 + 9 + 8 + 7 + 6 + 5 + 2 + 4) / 8, 1) == 6.4
    assert overall.shares["reason_no_gp"] == 100.0
    assert overall.shares["reason_closer"] == 25.0
    assert dict(results.score_histogram) == {
        0: 0,
        1: 0,
        2: 1,
        3: 0,
        4: 1,
        5: 1,
        6: 1,
        7: 1,
        8: 1,
        9: 1,
        10: 1,
    }
    ease = dict(results.booking_ease)
    assert (ease["Plutôt facile"], ease["Rendez-vous pris par quelqu'un d'autre"]) == (6, 2)
    by_site = {g.label: g for g in results.groups}
    first = by_site[net.site.name]
    assert (first.answered, first.delivered, first.score_mean, first.hidden) == (6, 7, 7.5, False)
    second = by_site[other.site.name]
    assert (second.answered, second.score_mean, second.hidden) == (2, None, True)  # under 5: hidden
    assert all(share is None for share in second.shares.values())
    # another month, another site list: nothing
    assert (
        survey_results(
            SurveyKind.PATIENT, [net.site.pk], dt.date(2026, 4, 1), dt.date(2026, 4, 30)
        ).overall.answered
        == 0
    )
    assert (
        survey_results(SurveyKind.PATIENT, [], dt.date(2026, 3, 1), dt.date(2026, 3, 31)).overall.invited == 0
    )


def test_under_the_minimum_the_overall_results_are_hidden(net):
    _answered(net, [10, 0, 5, 5])
    results = survey_results(SurveyKind.PATIENT, [net.site.pk], dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert results.overall.hidden
    assert (results.overall.answered, results.overall.score_mean) == (4, None)
    assert results.score_histogram == []
    assert results.booking_ease == []


# --- professionals ------------------------------------------------------------------------------------------
@pytest.fixture
def coordinator(net):
    return user_with_role(Role.COORDINATOR, departement=net.site.commune.departement)


def test_a_campaign_invites_each_assisting_professional_of_the_territory(net, coordinator):
    net.nurse.email = "infirmiere@example.fr"
    net.nurse.save()
    pharmacist = NetworkRoleFactory(assistant=True, sites=[net.site],
                                    professional=ProfessionalFactory(pharmacist=True, phone="+33698765432")).professional  # fmt: skip
    silent = NetworkRoleFactory(assistant=True, sites=[net.site]).professional  # no email, no phone
    elsewhere = make_site(use=net.use, departement="52")
    NetworkRoleFactory(assistant=True, sites=[elsewhere],
                       professional=ProfessionalFactory(nurse=True, email="ailleurs@example.fr"))  # fmt: skip
    today = dt.date(2026, 3, 2)
    launch = campaign_launch(user=coordinator, title="  Enquête  T1 2026 ", departement_code=None,
                             closes_on=dt.date(2026, 3, 31), today=today)  # fmt: skip
    campaign = launch.campaign
    assert (campaign.title, campaign.opens_on, campaign.closes_on) == (
        "Enquête T1 2026",
        today,
        dt.date(2026, 3, 31),
    )
    assert launch.invited == 2
    assert launch.unreachable == [f"{silent.first_name} {silent.last_name}"]
    invitations = {i.professional: i for i in SurveyInvitation.objects.select_related("message")}
    assert set(invitations) == {net.nurse, pharmacist}  # not the one of another département
    assert invitations[net.nurse].message.channel == "email"
    assert invitations[pharmacist].message.channel == "sms"
    assert invitations[pharmacist].profession == "pharmacien"
    assert invitations[net.nurse].expires_at == dt.datetime(2026, 4, 1, tzinfo=PARIS)
    assert AuditEvent.objects.filter(action="survey.campaign", target_id=str(campaign.pk)).exists()
    # the same professional is invited once per campaign
    assert SurveyInvitation.objects.filter(campaign=campaign, professional=net.nurse).count() == 1


@pytest.mark.parametrize(
    ("title", "closes_on", "field", "message"),
    [
        ("", dt.date(2026, 3, 31), "title", "Donnez un titre"),
        ("T1", None, "closes_on", "date de clôture"),
        ("T1", dt.date(2026, 3, 2), "closes_on", "postérieure à aujourd'hui"),
        ("T1", dt.date(2026, 6, 2), "closes_on", "90 jours au plus"),
    ],
)
def test_a_campaign_that_is_not_right_is_refused_with_the_field_named(
    net, coordinator, title, closes_on, field, message
):
    net.nurse.email = "infirmiere@example.fr"
    net.nurse.save()
    with pytest.raises(ValidationError) as refused:
        campaign_launch(user=coordinator, title=title, departement_code=None, closes_on=closes_on,
                        today=dt.date(2026, 3, 2))  # fmt: skip
    assert message in " ".join(refused.value.message_dict[field])
    assert not SurveyCampaign.objects.exists()
    assert not Message.objects.exists()


def test_a_territory_without_assisting_professionals_is_refused(coordinator, net):
    with pytest.raises(ValidationError) as refused:
        campaign_launch(user=coordinator, title="T1", departement_code="52", closes_on=dt.date(2026, 3, 31),
                        today=dt.date(2026, 3, 2))  # fmt: skip
    assert "Aucun professionnel assistant" in refused.value.message_dict["departement"][0]


def test_professional_results_per_campaign_with_favourable_shares(net, coordinator, settings):
    settings.EVALUATION_SURVEY_MIN_ANSWERS = 2
    for n in range(3):
        NetworkRoleFactory(assistant=True, sites=[net.site],
                           professional=ProfessionalFactory(nurse=True, email=f"ide{n}@example.fr"))  # fmt: skip
    launch = campaign_launch(user=coordinator, title="T1", departement_code=None, closes_on=dt.date(2026, 3, 31),
                             today=dt.date(2026, 3, 2))  # fmt: skip
    assert launch.invited == 3  # the network's nurse has no email nor phone
    tokens = []
    for invitation in SurveyInvitation.objects.filter(campaign=launch.campaign).select_related("message"):
        tokens.append(token_of(invitation.message))
    answers = [(9, 4, 3, 2), (7, 2, 4, 1)]
    for token, (score, equipment, doctor, needs) in zip(tokens, answers, strict=False):
        survey_answer(token, ProfessionalAnswers(score=score, equipment_ease=equipment, doctor_collaboration=doctor,
                                                 meets_patient_needs=needs), now=paris(2026, 3, 5, 10))  # fmt: skip
    results = survey_results(
        SurveyKind.PROFESSIONAL, [net.site.pk], dt.date(2026, 3, 1), dt.date(2026, 3, 31)
    )
    overall = results.overall
    assert (overall.invited, overall.answered, overall.score_mean) == (3, 2, 8.0)
    assert overall.shares == {
        "equipment_ease": 50.0,
        "doctor_collaboration": 100.0,
        "meets_patient_needs": 0.0,
    }
    (group,) = results.groups
    assert group.label.startswith("T1 (02/03/2026")
    assert group.answered == 2
    # the patients' survey is apart
    assert (
        survey_results(
            SurveyKind.PATIENT, [net.site.pk], dt.date(2026, 3, 1), dt.date(2026, 3, 31)
        ).overall.answered
        == 0
    )
