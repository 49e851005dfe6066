"""Satisfaction surveys: who is invited, how an answer is recorded once and anonymously, and the results.

Two surveys (``SurveyKind``):

- **patients**, after a completed teleconsultation: an invitation is written in the completion's transaction
  (a transitions subscriber) with its message in the outbox, sent ``EVALUATION_SURVEY_DELAY_HOURS`` later and
  moved into daytime; a patient is asked at most once every ``EVALUATION_SURVEY_PATIENT_INTERVAL_DAYS``, and never
  without a mobile phone or an email (theirs or their caregiver's). Those the outbox cannot reach (often the oldest)
  get it at the site instead: from the site's day page, the assistant hands them the link (a QR code, a printed slip)
  or lets them answer on the room's device (``patient_invite_at_site``), under the same once-only rules;
- **assisting professionals** (nurses, pharmacists…), in campaigns a coordinator launches for the sites of their
  territory: one invitation per professional, by email (else by SMS).

A link carries a random token (only its SHA-256 is stored) and answers once: the invitation is marked answered by
a conditional UPDATE in the transaction that writes the answer, so two submissions of the same form record one
answer. The answer (``SurveyResponse``) keeps its site, use, month (and campaign, profession) and the answers,
nothing that leads back to the invitation; results are shown only for groups of at least
``EVALUATION_SURVEY_MIN_ANSWERS`` answers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Avg, Count, Q, QuerySet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maille.core.audit import audit_record
from maille.core.errors import DomainError
from maille.core.identifiers import is_mobile_phone
from maille.core.models import Channel
from maille.directory.models import NetworkRole, Site
from maille.directory.selectors import sites_visible_to
from maille.notifications.models import MessageChannel, MessageKind, MessageState
from maille.notifications.services import contact_of, message_cancel, message_queue
from maille.scheduling.models import Appointment, AppointmentStatus, AppointmentTransition
from maille.scheduling.wallclock import PARIS

from .models import SurveyCampaign, SurveyInvitation, SurveyKind, SurveyResponse

# --- the questions (one definition for the forms, the results and the files) -------------------------------
PATIENT_REASONS = [
    ("reason_no_gp", gettext_lazy("Je n'ai pas de médecin traitant")),
    ("reason_gp_unavailable", gettext_lazy("Mon médecin n'était pas disponible")),
    ("reason_sooner", gettext_lazy("Pour être soigné·e plus vite")),
    ("reason_closer", gettext_lazy("C'est plus près de chez moi")),
    ("reason_advised", gettext_lazy("Un professionnel me l'a conseillé (pharmacien, infirmier…)")),
    ("reason_other", gettext_lazy("Une autre raison")),
]
BOOKING_EASE = [
    (4, gettext_lazy("Très facile")),
    (3, gettext_lazy("Plutôt facile")),
    (2, gettext_lazy("Plutôt difficile")),
    (1, gettext_lazy("Très difficile")),
]
EQUIPMENT_EASE = BOOKING_EASE
DOCTOR_COLLABORATION = [
    (4, gettext_lazy("Très satisfaisante")),
    (3, gettext_lazy("Plutôt satisfaisante")),
    (2, gettext_lazy("Peu satisfaisante")),
    (1, gettext_lazy("Pas du tout satisfaisante")),
]
MEETS_NEEDS = [
    (4, gettext_lazy("Tout à fait")),
    (3, gettext_lazy("Plutôt oui")),
    (2, gettext_lazy("Plutôt non")),
    (1, gettext_lazy("Pas du tout")),
]
# (field, question, choices) of the professionals' four-level questions
PROFESSIONAL_SCALES = [
    ("equipment_ease", gettext_lazy("Le matériel (vidéo, appareils connectés) est-il facile à utiliser ?"),
     EQUIPMENT_EASE),
    ("doctor_collaboration", gettext_lazy("Comment jugez-vous la collaboration avec les médecins à distance ?"),
     DOCTOR_COLLABORATION),
    ("meets_patient_needs", gettext_lazy("Le dispositif répond-il aux besoins de vos patients ?"), MEETS_NEEDS),
]  # fmt: skip
FAVOURABLE = 3  # on a four-level scale, 3 and 4 are the favourable answers
CAMPAIGN_MAX_DAYS = 90
SURVEY_HOURS = (9, 19)  # messages are sent between 9 h and 19 h, Paris time


class SurveyRefused(DomainError):
    """A survey link that is not ours, expired, or already answered; ``code`` says which."""


# --- links --------------------------------------------------------------------------------------------------
def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(12)  # 96 random bits, 16 characters: short enough for an SMS


def survey_url(token: str) -> str:
    return settings.PUBLIC_BASE_URL + reverse("avis:answer", args=[token])


def invitation_from_token(token: str, *, now: dt.datetime | None = None) -> SurveyInvitation:
    """The invitation a link stands for, if it may still be answered; else SurveyRefused."""
    invitation = (
        SurveyInvitation.objects.select_related("site__commune", "use", "campaign")
        .filter(token_hash=token_hash(token[:64]))
        .first()
    )
    if invitation is None:
        raise SurveyRefused(
            _("Ce lien n'est pas valable : il a peut-être été mal copié. Reprenez-le dans le message reçu."),
            code="survey_invalid",
        )
    if invitation.answered_on is not None:
        raise SurveyRefused(_("Vous avez déjà répondu à ce questionnaire. Merci !"), code="survey_answered")
    if (now or timezone.now()) > invitation.expires_at:
        raise SurveyRefused(
            _("Ce questionnaire est clos : le délai pour répondre est passé."), code="survey_expired"
        )
    return invitation


def in_daytime(moment: dt.datetime) -> dt.datetime:
    """``moment``, or the next 9 h (Paris) when it falls in the evening or at night."""
    local = moment.astimezone(PARIS)
    first, last = SURVEY_HOURS
    if local.hour >= last:
        local = (local + dt.timedelta(days=1)).replace(hour=first, minute=0, second=0, microsecond=0)
    elif local.hour < first:
        local = local.replace(hour=first, minute=0, second=0, microsecond=0)
    return local


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


# --- patients: invited after a completed teleconsultation ------------------------------------------------
def compose_patient_invitation(channel: str, *, site: Site, link: str) -> tuple[str, str]:
    place = f"{site.name}, {site.commune.name}" if site.commune_id else site.name
    body = _(
        "Maille : merci d'être venu·e en téléconsultation (%(place)s). Votre avis nous aide à améliorer le "
        "service : 3 questions, 1 minute, anonyme. %(link)s"
    ) % {"place": place, "link": link}
    if channel == MessageChannel.EMAIL:
        body = _(
            "Bonjour,\n\n%(body)s\n\nRépondre est facultatif. Ce message est envoyé automatiquement, merci de ne pas "
            "y répondre."
        ) % {"body": body}
    return str(_("Votre avis sur votre téléconsultation")), str(body)


def invitation_for_transition(transition: AppointmentTransition) -> None:
    """The transitions' subscriber: a completed teleconsultation invites its patient."""
    if transition.name == "complete":
        patient_invite(transition.appointment)


def patient_invite(appointment: Appointment, *, now: dt.datetime | None = None) -> SurveyInvitation | None:
    """Invite the patient of a completed appointment, unless they cannot be reached, were asked recently, or this
    appointment already has its invitation (called inside the completion's transaction)."""
    if not settings.EVALUATION_SURVEY_PATIENTS or appointment.patient_id is None:
        return None
    now = now or timezone.now()
    appointment = Appointment.objects.select_related("patient__caregiver", "site__commune").get(
        pk=appointment.pk
    )
    contact = contact_of(appointment.patient)
    if contact is None:
        return None
    asked = SurveyInvitation.objects.filter(
        Q(appointment=appointment) | _asked_since(appointment.patient_id, now)
    )
    if asked.exists():
        return None
    channel, recipient = contact
    token = new_token()
    subject, body = compose_patient_invitation(channel, site=appointment.site, link=survey_url(token))
    send_after = in_daytime(now + dt.timedelta(hours=settings.EVALUATION_SURVEY_DELAY_HOURS))
    message = message_queue(
        kind=MessageKind.SURVEY, channel=channel, recipient=recipient, subject=subject, body=body,
        send_after=send_after, departement_id=appointment.site.commune.departement_id if appointment.site.commune_id
        else None, appointment_id=appointment.pk, patient_id=appointment.patient_id,
    )  # fmt: skip
    invitation = patient_invitation(appointment, token, send_after)
    invitation.message = message
    invitation.save()
    return invitation


def _patient_interval() -> dt.timedelta:
    return dt.timedelta(days=settings.EVALUATION_SURVEY_PATIENT_INTERVAL_DAYS)


def _asked_since(patient_id: int, now: dt.datetime) -> Q:
    """The patient's invitations too recent for another one (asked at most once per interval)."""
    return Q(patient_id=patient_id, created_at__gte=now - _patient_interval())


@dataclass(frozen=True)
class AtSiteInvitation:
    invitation: SurveyInvitation
    token: str  # shown once, in the page that hands it over (only its hash is stored)

    @property
    def url(self) -> str:
        return survey_url(self.token)


def at_site_refusal(appointment: Appointment, *, now: dt.datetime | None = None) -> SurveyRefused | None:
    """Why the patient of ``appointment`` cannot be handed the survey at the site now (None: they can)."""
    return _at_site_refusal(appointment, _own_invitation(appointment), now or timezone.now())


def _own_invitation(appointment: Appointment) -> SurveyInvitation | None:
    """The appointment's invitation (at most one), with its message."""
    return SurveyInvitation.objects.filter(appointment=appointment).select_related("message").first()


def _at_site_refusal(
    appointment: Appointment, own: SurveyInvitation | None, now: dt.datetime
) -> SurveyRefused | None:
    """``at_site_refusal`` given the appointment's own invitation (None: it has none yet)."""
    if not settings.EVALUATION_SURVEY_PATIENTS:
        return SurveyRefused(_("Les questionnaires aux patients sont désactivés sur cette plateforme."),
                             code="survey_disabled")  # fmt: skip
    if appointment.patient_id is None:
        return SurveyRefused(_("Ce rendez-vous n'a pas de patient."), code="survey_no_patient")
    if appointment.status != AppointmentStatus.COMPLETED:
        return SurveyRefused(_("Le questionnaire se propose une fois la téléconsultation terminée."),
                             code="survey_not_completed")  # fmt: skip
    if own is not None:
        if own.answered_on is not None:
            return SurveyRefused(_("Le patient a déjà répondu au questionnaire de ce rendez-vous."),
                                 code="survey_answered")  # fmt: skip
        if own.message is not None and own.message.state in (MessageState.SENDING, MessageState.SENT):
            return _already_sent()
        return None  # not sent yet (or it failed), or handed over before: handed over (again) with a new link
    interval = _patient_interval()
    recent = (
        SurveyInvitation.objects.filter(_asked_since(appointment.patient_id, now))
        .order_by("-created_at")
        .first()
    )
    if recent is not None:
        return SurveyRefused(
            _("Ce patient a déjà été sollicité le %(day)s : pas de nouveau questionnaire avant le %(next)s.")
            % {"day": formats.date_format(recent.created_at.astimezone(PARIS), "j F Y"),
               "next": formats.date_format((recent.created_at + interval).astimezone(PARIS), "j F Y")},
            code="survey_asked_recently",
        )  # fmt: skip
    return None


def _already_sent() -> SurveyRefused:
    return SurveyRefused(
        _(
            "Le questionnaire a déjà été envoyé au patient par SMS ou courriel : il peut y répondre avec ce message."
        ),
        code="survey_sent",
    )


def survey_message_due_at(appointment: Appointment) -> dt.datetime | None:
    """When the outbox will send this appointment's survey (None: nothing pending): handing it over cancels that."""
    return (
        SurveyInvitation.objects.filter(appointment=appointment, message__state=MessageState.PENDING)
        .values_list("message__send_after", flat=True)
        .first()
    )


def patient_invite_at_site(
    actor: Any, appointment: Appointment, *, channel: str, now: dt.datetime | None = None
) -> AtSiteInvitation:
    """The survey of a completed appointment, handed to its patient at the site: a new link, valid
    ``EVALUATION_SURVEY_VALID_DAYS``. Its invitation is created, or (not answered, not sent by the outbox yet) given
    a new token: an earlier link stops working, and the message not sent yet is cancelled. SurveyRefused otherwise.
    The caller has checked that ``actor`` runs this appointment."""
    now = now or timezone.now()
    with transaction.atomic():
        # one handing at a time per appointment: the appointment's row is the lock
        appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
        invitation = _own_invitation(appointment)
        refusal = _at_site_refusal(appointment, invitation, now)
        if refusal is not None:
            raise refusal
        token = new_token()
        if invitation is None:
            invitation = patient_invitation(appointment, token, now)
        else:
            if invitation.message is not None and not message_cancel(
                invitation.message.pk, reason="survey_handed_at_site"
            ):
                # not pending any more: a worker may have taken it just before (read again, not from the join above):
                # never a dead link in a message on its way
                invitation.message.refresh_from_db(fields=["state"])
                if invitation.message.state in (MessageState.SENDING, MessageState.SENT):
                    raise _already_sent()
            invitation.token_hash = token_hash(token)
            invitation.expires_at = _expires_at(now)
        invitation.handed_at_site = True
        invitation.save()
        audit_record(actor=actor, action="survey.hand_at_site", target=invitation, channel=channel,
                     details={"appointment": appointment.pk})  # fmt: skip
    return AtSiteInvitation(invitation, token)


def _expires_at(send_after: dt.datetime) -> dt.datetime:
    """A patient's link lives EVALUATION_SURVEY_VALID_DAYS from when it reaches them."""
    return send_after + dt.timedelta(days=settings.EVALUATION_SURVEY_VALID_DAYS)


def patient_invitation(appointment: Appointment, token: str, send_after: dt.datetime) -> SurveyInvitation:
    """The (unsaved) invitation of an appointment's patient whose link carries ``token``, its message sent at
    ``send_after``: it counts in the month of the teleconsultation and lives EVALUATION_SURVEY_VALID_DAYS."""
    return SurveyInvitation(
        kind=SurveyKind.PATIENT, token_hash=token_hash(token), site_id=appointment.site_id,
        use_id=appointment.use_id, month=_month(appointment.starts_at.astimezone(PARIS).date()),
        appointment=appointment, patient_id=appointment.patient_id,
        expires_at=_expires_at(send_after),
        is_fictional=appointment.is_fictional,
    )  # fmt: skip


# --- professionals: campaigns --------------------------------------------------------------------------------
@dataclass
class CampaignLaunch:
    campaign: SurveyCampaign
    invited: int
    unreachable: list[str] = field(default_factory=list)  # professionals without email nor mobile phone


def compose_professional_invitation(
    channel: str, *, title: str, closes_on: dt.date, link: str
) -> tuple[str, str]:
    until = formats.date_format(closes_on, "j F Y")
    body = _(
        "Maille : le réseau de téléconsultation vous demande votre avis de professionnel assistant (« %(title)s », "
        "4 questions, anonyme), jusqu'au %(until)s : %(link)s"
    ) % {"title": title, "until": until, "link": link}
    if channel == MessageChannel.EMAIL:
        body = _("Bonjour,\n\n%(body)s\n\nMerci de votre participation.") % {"body": body}
    return str(_("Votre avis sur le fonctionnement des téléconsultations")), str(body)


def professional_contact(professional: Any) -> tuple[str, str] | None:
    """A professional is written to by email first (their working address), else by SMS to a mobile."""
    if professional.email:
        return MessageChannel.EMAIL, professional.email
    if professional.phone and is_mobile_phone(professional.phone):
        return MessageChannel.SMS, professional.phone
    return None


def campaign_sites(user: Any, departement_code: str | None) -> QuerySet[Site]:
    sites = sites_visible_to(user)
    return sites.filter(commune__departement_id=departement_code) if departement_code else sites


def campaign_launch(
    *,
    user: Any,
    title: str,
    departement_code: str | None,
    closes_on: dt.date | None,
    today: dt.date | None = None,
) -> CampaignLaunch:
    """Open a campaign and invite every active assisting professional of the chosen sites (ValidationError with
    a message per field when the form is not right)."""
    today = today or timezone.localdate()
    title = " ".join(title.split())
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = _("Donnez un titre à l'enquête (par exemple « Enquête du 1er trimestre 2027 »).")
    elif len(title) > 120:
        errors["title"] = _("120 caractères au plus.")
    if closes_on is None:
        errors["closes_on"] = _("Indiquez la date de clôture (AAAA-MM-JJ).")
    elif closes_on <= today:
        errors["closes_on"] = _("La clôture doit être postérieure à aujourd'hui.")
    elif (closes_on - today).days > CAMPAIGN_MAX_DAYS:
        errors["closes_on"] = _("%(days)s jours au plus.") % {"days": CAMPAIGN_MAX_DAYS}
    sites = campaign_sites(user, departement_code)
    roles = (
        NetworkRole.objects.active()
        .assistants()
        .filter(sites__in=sites.values("pk"))
        .select_related("professional")
        .prefetch_related("sites")
        .order_by("professional__last_name", "professional_id", "pk")
        .distinct()
    )
    visible = set(sites.values_list("pk", flat=True))
    professionals: dict[int, tuple[Any, Site]] = {}
    for role in roles:
        if role.professional_id in professionals:
            continue
        role_sites = sorted((s for s in role.sites.all() if s.pk in visible), key=lambda s: (s.name, s.pk))
        if role_sites:
            professionals[role.professional_id] = (role.professional, role_sites[0])
    if not errors and not professionals:
        errors["departement"] = _("Aucun professionnel assistant actif dans les sites de ce territoire.")
    if errors:
        raise ValidationError(errors)
    assert closes_on is not None
    with transaction.atomic():
        campaign = SurveyCampaign.objects.create(
            title=title, departement_id=departement_code or None, opens_on=today, closes_on=closes_on,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )  # fmt: skip
        expires_at = dt.datetime.combine(closes_on + dt.timedelta(days=1), dt.time(0), tzinfo=PARIS)
        now = timezone.now()
        launch = CampaignLaunch(campaign, 0)
        for professional, site in professionals.values():
            contact = professional_contact(professional)
            if contact is None:
                launch.unreachable.append(f"{professional.first_name} {professional.last_name}".strip())
                continue
            channel, recipient = contact
            token = new_token()
            subject, body = compose_professional_invitation(channel, title=title, closes_on=closes_on,
                                                            link=survey_url(token))  # fmt: skip
            message = message_queue(
                kind=MessageKind.SURVEY, channel=channel, recipient=recipient, subject=subject, body=body,
                send_after=in_daytime(now), departement_id=site.commune.departement_id,
            )  # fmt: skip
            SurveyInvitation.objects.create(
                kind=SurveyKind.PROFESSIONAL, token_hash=token_hash(token), site=site, month=_month(today),
                campaign=campaign, professional=professional, profession=professional.profession,
                message=message, expires_at=expires_at,
            )  # fmt: skip
            launch.invited += 1
        audit_record(actor=user, action="survey.campaign", target=campaign,
                     details={"invited": launch.invited, "unreachable": len(launch.unreachable)})  # fmt: skip
    return launch


def campaigns_visible_to(user: Any) -> QuerySet[SurveyCampaign]:
    """Campaigns with at least one invitation at a site the user sees."""
    sites = sites_visible_to(user).values("pk")
    return SurveyCampaign.objects.filter(
        pk__in=SurveyInvitation.objects.filter(site__in=sites, campaign__isnull=False).values("campaign")
    )


# --- answers ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PatientAnswers:
    score: int
    reasons: frozenset[str]
    booking_ease: int | None


@dataclass(frozen=True)
class ProfessionalAnswers:
    score: int
    equipment_ease: int
    doctor_collaboration: int
    meets_patient_needs: int


def survey_answer(
    token: str, answers: PatientAnswers | ProfessionalAnswers, *, now: dt.datetime | None = None
) -> None:
    """Record the answer of an invitation, once (SurveyRefused when the link is not valid any more)."""
    now = now or timezone.now()
    with transaction.atomic():
        invitation = invitation_from_token(token, now=now)
        expected = PatientAnswers if invitation.kind == SurveyKind.PATIENT else ProfessionalAnswers
        if not isinstance(answers, expected):
            raise SurveyRefused(
                _("Ces réponses ne sont pas celles de ce questionnaire."), code="survey_invalid"
            )
        # Only one of two simultaneous submissions marks the invitation; the other writes nothing.
        claimed = SurveyInvitation.objects.filter(pk=invitation.pk, answered_on__isnull=True).update(
            answered_on=timezone.localdate(now)
        )
        if not claimed:
            raise SurveyRefused(
                _("Vous avez déjà répondu à ce questionnaire. Merci !"), code="survey_answered"
            )
        common = {"kind": invitation.kind, "site_id": invitation.site_id, "use_id": invitation.use_id,
                  "month": invitation.month, "campaign_id": invitation.campaign_id,
                  "profession": invitation.profession, "is_fictional": invitation.is_fictional}  # fmt: skip
        if isinstance(answers, PatientAnswers):
            SurveyResponse.objects.create(
                **common, score=answers.score, booking_ease=answers.booking_ease,
                **{name: name in answers.reasons for name, _label in PATIENT_REASONS},
            )  # fmt: skip
        else:
            SurveyResponse.objects.create(
                **common, score=answers.score, equipment_ease=answers.equipment_ease,
                doctor_collaboration=answers.doctor_collaboration, meets_patient_needs=answers.meets_patient_needs,
            )  # fmt: skip
        if invitation.message_id:  # answered before the message left (on the site's tablet): not sent
            message_cancel(invitation.message_id, reason="survey_answered")
        audit_record(actor=None, action="survey.answer", target=invitation, channel=Channel.ONLINE)


# --- results ------------------------------------------------------------------------------------------------
@dataclass
class Group:
    """The results of one group of answers (all, a site, a campaign), hidden under the minimum size."""

    label: str
    invited: int
    delivered: int
    answered: int
    responses: int
    score_mean: float | None
    shares: dict[str, float | None]  # favourable shares (professionals), reasons' shares (patients)
    hidden: bool

    @property
    def response_rate(self) -> float | None:
        return round(100 * self.answered / self.delivered, 1) if self.delivered else None


@dataclass
class SurveyResults:
    kind: str
    minimum: int
    overall: Group
    groups: list[Group]  # per site (patients) or per campaign (professionals)
    score_histogram: list[tuple[int, int]]  # (score, answers), 0 to 10; empty when hidden
    booking_ease: list[tuple[str, int]]  # (label, answers) for patients; empty when hidden


def _delivered() -> Q:
    # an answered invitation reached its reader, whatever its message became; one handed over at the site too
    return Q(message__state=MessageState.SENT) | Q(answered_on__isnull=False) | Q(handed_at_site=True)


def _invitation_counts(invitations: QuerySet[SurveyInvitation], by: str | None) -> dict[Any, dict[str, int]]:
    aggregates = {"invited": Count("pk"), "delivered": Count("pk", filter=_delivered()),
                  "answered": Count("pk", filter=Q(answered_on__isnull=False))}  # fmt: skip
    if by is None:
        return {None: invitations.aggregate(**aggregates)}
    return {row[by]: row for row in invitations.values(by).annotate(**aggregates).order_by()}


def _response_aggregates(kind: str) -> dict[str, Any]:
    aggregates: dict[str, Any] = {"responses": Count("pk"), "score_mean": Avg("score")}
    if kind == SurveyKind.PATIENT:
        for name, _label in PATIENT_REASONS:
            aggregates[name] = Count("pk", filter=Q(**{name: True}))
    else:
        for name, _question, _choices in PROFESSIONAL_SCALES:
            aggregates[name] = Count("pk", filter=Q(**{f"{name}__gte": FAVOURABLE}))
    return aggregates


def _group(
    label: str, counts: dict[str, int] | None, row: dict[str, Any] | None, kind: str, minimum: int
) -> Group:
    counts = counts or {"invited": 0, "delivered": 0, "answered": 0}
    responses = (row or {}).get("responses", 0)
    hidden = responses < minimum
    names = (
        [n for n, _l in PATIENT_REASONS]
        if kind == SurveyKind.PATIENT
        else [n for n, _q, _c in PROFESSIONAL_SCALES]
    )
    shares = {name: None if hidden else round(100 * row[name] / responses, 1) for name in names} if row else dict.fromkeys(names)  # fmt: skip
    mean = None if hidden or row is None or row["score_mean"] is None else round(float(row["score_mean"]), 1)
    return Group(
        label, counts["invited"], counts["delivered"], counts["answered"], responses, mean, shares, hidden
    )


def _period(
    kind: str, site_ids: list[int], start: dt.date, end: dt.date
) -> tuple[QuerySet[SurveyInvitation], QuerySet[SurveyResponse]]:
    period = {"site_id__in": site_ids, "month__gte": _month(start), "month__lte": end, "kind": kind}
    return SurveyInvitation.objects.filter(**period), SurveyResponse.objects.filter(**period)


def survey_overall(kind: str, site_ids: list[int], start: dt.date, end: dt.date) -> Group:
    """The whole group's counts and results (two queries): what the satisfaction indicator needs."""
    invitations, responses = _period(kind, site_ids, start, end)
    return _group(str(_("Ensemble")), _invitation_counts(invitations, None)[None],
                  responses.aggregate(**_response_aggregates(kind)), kind, settings.EVALUATION_SURVEY_MIN_ANSWERS)  # fmt: skip


def survey_results(kind: str, site_ids: list[int], start: dt.date, end: dt.date) -> SurveyResults:
    """The answers of ``kind`` at ``site_ids`` for the months from ``start``'s to ``end``'s, in the database (a
    fixed number of queries)."""
    minimum = settings.EVALUATION_SURVEY_MIN_ANSWERS
    invitations, responses = _period(kind, site_ids, start, end)
    aggregates = _response_aggregates(kind)
    overall = survey_overall(kind, site_ids, start, end)
    by = "site_id" if kind == SurveyKind.PATIENT else "campaign_id"
    counts = _invitation_counts(invitations, by)
    rows = {row[by]: row for row in responses.values(by).annotate(**aggregates).order_by()}
    if kind == SurveyKind.PATIENT:
        labels = dict(Site.objects.filter(pk__in=set(counts) | set(rows)).values_list("pk", "name"))
    else:
        labels = {c.pk: f"{c.title} ({c.opens_on:%d/%m/%Y} – {c.closes_on:%d/%m/%Y})"
                  for c in SurveyCampaign.objects.filter(pk__in=set(counts) | set(rows))}  # fmt: skip
    groups = sorted(
        (
            _group(labels.get(key, "—"), counts.get(key), rows.get(key), kind, minimum)
            for key in set(counts) | set(rows)
        ),
        key=lambda g: (-g.answered, g.label),
    )
    histogram: list[tuple[int, int]] = []
    ease: list[tuple[str, int]] = []
    if not overall.hidden:
        scores = dict(responses.values_list("score").annotate(n=Count("pk")).order_by())
        histogram = [(score, scores.get(score, 0)) for score in range(11)]
        if kind == SurveyKind.PATIENT:
            eases = dict(responses.values_list("booking_ease").annotate(n=Count("pk")).order_by())
            ease = [(str(label), eases.get(value, 0)) for value, label in BOOKING_EASE]
            ease.append((str(_("Rendez-vous pris par quelqu'un d'autre")), eases.get(None, 0)))
    return SurveyResults(kind, minimum, overall, groups, histogram, ease)
