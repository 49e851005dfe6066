"""The demo's satisfaction surveys: the patients of the six months of completed teleconsultations invited as the
live subscriber would have invited them (reachable, once a quarter at most), about four in ten answering through
the real answer service; and a survey of the Meuse's assisting professionals launched by its coordinator last
month through the real campaign service. Answers are drawn from a fixed seed: the same demo every time.
"""

from __future__ import annotations

import datetime as dt
import random

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from maille.evaluation.models import SurveyCampaign, SurveyInvitation
from maille.evaluation.surveys import (
    PATIENT_REASONS,
    PatientAnswers,
    ProfessionalAnswers,
    campaign_launch,
    compose_patient_invitation,
    in_daytime,
    new_token,
    patient_invitation,
    survey_answer,
    survey_url,
    token_hash,
)
from maille.notifications.models import Message, MessageKind, MessageState
from maille.notifications.services import contact_of
from maille.scheduling.models import Appointment, AppointmentStatus
from maille.scheduling.wallclock import PARIS

ANSWER_RATE = 0.42
PROFESSIONAL_ANSWER_RATE = 0.75
SCORES = list(range(11))
SCORE_WEIGHTS = [1, 0, 1, 1, 2, 4, 6, 12, 24, 26, 23]
REASON_RATES = {"reason_no_gp": 0.45, "reason_gp_unavailable": 0.2, "reason_sooner": 0.35, "reason_closer": 0.4,
                "reason_advised": 0.25, "reason_other": 0.05}  # fmt: skip
EASE = [4, 3, 2, 1, None]
EASE_WEIGHTS = [50, 32, 8, 2, 8]


def _patient_answers(rng: random.Random, site_bias: int) -> PatientAnswers:
    score = min(10, max(0, rng.choices(SCORES, weights=SCORE_WEIGHTS)[0] + site_bias))
    reasons = {name for name, _label in PATIENT_REASONS if rng.random() < REASON_RATES[name]}
    return PatientAnswers(score=score, reasons=frozenset(reasons or {"reason_closer"}),
                          booking_ease=rng.choices(EASE, weights=EASE_WEIGHTS)[0])  # fmt: skip


def _invite_history() -> list[tuple[str, SurveyInvitation, dt.datetime]]:
    """Invitations (and their sent messages) for the completed fictional appointments, as the subscriber would."""
    interval = dt.timedelta(days=settings.EVALUATION_SURVEY_PATIENT_INTERVAL_DAYS)
    last_asked: dict[int, dt.datetime] = {}
    pending: list[tuple[str, Message, SurveyInvitation]] = []
    completed = (
        Appointment.objects.filter(
            is_fictional=True,
            status=AppointmentStatus.COMPLETED,
            patient__isnull=False,
            survey_invitation__isnull=True,
        )  # fmt: skip
        .select_related("patient__caregiver", "site__commune")
        .order_by("starts_at", "pk")
    )
    for appointment in completed:
        asked = last_asked.get(appointment.patient_id)
        if asked is not None and appointment.ends_at - asked < interval:
            continue
        contact = contact_of(appointment.patient)
        if contact is None:
            continue
        last_asked[appointment.patient_id] = appointment.ends_at
        channel, recipient = contact
        token = new_token()
        sent_at = in_daytime(appointment.ends_at + dt.timedelta(hours=settings.EVALUATION_SURVEY_DELAY_HOURS))
        subject, body = compose_patient_invitation(channel, site=appointment.site, link=survey_url(token))
        message = Message(
            kind=MessageKind.SURVEY, channel=channel, recipient=recipient, subject=subject, body=body,
            appointment=appointment, patient=appointment.patient, departement_id=appointment.site.commune.departement_id,
            state=MessageState.SENT, send_after=sent_at, sent_at=sent_at, attempts=1,
        )  # fmt: skip
        pending.append((token, message, patient_invitation(appointment, token, sent_at)))
    Message.objects.bulk_create([message for _token, message, _invitation in pending], batch_size=500)
    for _token, message, invitation in pending:
        invitation.message = message
    SurveyInvitation.objects.bulk_create([invitation for _t, _m, invitation in pending], batch_size=500)
    return [(token, invitation, message.send_after) for token, message, invitation in pending]


def _professional_campaign(today: dt.date, rng: random.Random) -> int:
    coordinator = get_user_model().objects.filter(is_demo=True, username="coordination55").first()
    if coordinator is None:
        return 0
    opened = today - dt.timedelta(days=40)
    launch = campaign_launch(user=coordinator, title="Enquête auprès des professionnels assistants (Meuse)",
                             departement_code="55", closes_on=opened + dt.timedelta(days=30), today=opened)  # fmt: skip
    SurveyCampaign.objects.filter(pk=launch.campaign.pk).update(is_fictional=True)
    invitations = SurveyInvitation.objects.filter(campaign=launch.campaign)
    invitations.update(is_fictional=True)
    # the invitations went out the day it opened (the outbox would otherwise send them now)
    sent_at = dt.datetime.combine(opened, dt.time(10), tzinfo=PARIS)
    Message.objects.filter(pk__in=invitations.values("message")).update(
        state=MessageState.SENT, send_after=sent_at, sent_at=sent_at, attempts=1
    )
    answered = 0
    answer_day = dt.datetime.combine(opened + dt.timedelta(days=3), dt.time(14), tzinfo=PARIS)
    for invitation in invitations:
        if rng.random() >= PROFESSIONAL_ANSWER_RATE:
            continue
        # the link went to the professional only: the demo gives the invitation a token it knows
        token = new_token()
        SurveyInvitation.objects.filter(pk=invitation.pk).update(token_hash=token_hash(token))
        answers = ProfessionalAnswers(score=rng.choices(SCORES, weights=SCORE_WEIGHTS)[0],
                                      equipment_ease=rng.choices([4, 3, 2, 1], weights=[30, 45, 20, 5])[0],
                                      doctor_collaboration=rng.choices([4, 3, 2, 1], weights=[45, 40, 10, 5])[0],
                                      meets_patient_needs=rng.choices([4, 3, 2, 1], weights=[40, 45, 12, 3])[0])  # fmt: skip
        survey_answer(token, answers, now=answer_day)
        answered += 1
    return answered


def load_demo_surveys(*, today: dt.date | None = None) -> dict[str, int]:
    """Once per database: the patients' invitations and answers, and one professionals' campaign."""
    if SurveyInvitation.objects.filter(is_fictional=True).exists():
        return {"invited": 0, "answered": 0, "professionals": 0}
    today = today or timezone.localdate()
    rng = random.Random(2027)
    with transaction.atomic():
        invited = _invite_history()
    bias: dict[int, int] = {}
    answered = 0
    for token, invitation, sent_at in invited:
        if rng.random() >= ANSWER_RATE:
            continue
        site_bias = bias.setdefault(invitation.site_id, rng.choice([-1, 0, 0, 0, 1]))
        survey_answer(
            token, _patient_answers(rng, site_bias), now=sent_at + dt.timedelta(hours=rng.randrange(1, 48))
        )
        answered += 1
    return {
        "invited": len(invited),
        "answered": answered,
        "professionals": _professional_campaign(today, rng),
    }
