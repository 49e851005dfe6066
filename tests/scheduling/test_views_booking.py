"""The staff booking form and the appointment page: slots, hold, confirm, slot taken, patients, transitions."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.urls import reverse
from django.utils import timezone

from maille.accounts.models import Role
from maille.core.models import AuditEvent, Channel
from maille.patients.models import Patient
from maille.scheduling.engine import SlotQuery, find_slots
from maille.scheduling.models import Appointment, AppointmentStatus, ResourceBooking
from maille.scheduling.services import appointment_book
from tests.factories import DepartementFactory, user_with_role
from tests.patients.factories import PatientFactory

from .factories import make_network

pytestmark = pytest.mark.django_db

BOOK = "/agendas/reserver/"


@pytest.fixture
def net():
    return make_network()


@pytest.fixture
def operator(client):
    user = user_with_role(Role.OPERATOR, departement_id="55")
    client.force_login(user)
    return user


def first_slot(net):
    return find_slots(SlotQuery(use=net.use, site_ids=(net.site.pk,), limit=1))[0]


def hold_data(net, slot, patient=None):
    return {
        "action": "hold",
        "use": net.use.pk,
        "site": net.site.pk,
        "starts_at": slot.starts_at.isoformat(),
        "patient": patient.pk if patient else "",
    }


def local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment)


def test_slots_fragment_lists_the_earliest_slots(client, net, operator):
    slot = first_slot(net)
    response = client.get(
        reverse("scheduling:book_slots"),
        {"use": net.use.pk, "commune": net.site.commune.code},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert content.count('data-testid="slot"') == 4  # one site: its next four free times
    assert f"à {local(slot.starts_at):%H:%M}" in content
    assert net.site.name in content
    assert "min de trajet" in content


def test_booking_page_without_a_use_asks_for_one(client, net, operator):
    content = client.get(BOOK).content.decode()
    assert "Choisissez un usage pour voir les créneaux." in content
    assert net.use.name in content


def test_unknown_commune_is_reported_next_to_the_field(client, net, operator):
    response = client.get(BOOK, {"use": net.use.pk, "commune": "Atlantide"})
    content = response.content.decode()
    assert 'id="id_commune_error">Commune inconnue' in content
    assert 'data-testid="slot"' not in content


def test_hold_then_confirm_books_through_the_phone_channel(client, net, operator):
    patient = PatientFactory()
    slot = first_slot(net)
    response = client.post(BOOK, hold_data(net, slot, patient))
    hold = Appointment.objects.get()
    assert response.status_code == 302
    assert response.url == f"{reverse('scheduling:appointment', args=[hold.pk])}?patient={patient.pk}"
    assert (hold.status, hold.channel, hold.created_by) == (AppointmentStatus.HELD, Channel.PHONE, operator)
    page = client.get(response.url).content.decode()
    assert "Créneau mis de côté" in page
    assert f'data-hold-expires="{hold.hold_expires_at.isoformat()}"' in page
    assert "Confirmer le rendez-vous" in page
    response = client.post(BOOK, {"action": "confirm", "option": hold.pk, "patient": patient.pk})
    assert response.status_code == 302
    hold.refresh_from_db()
    assert (hold.status, hold.patient) == (AppointmentStatus.BOOKED, patient)
    assert hold.transitions.get(name="book").channel == Channel.PHONE
    assert AuditEvent.objects.filter(action="patient.read", target_id=str(patient.pk)).exists()


def test_site_staff_book_through_the_site_channel(client, net):
    client.force_login(user_with_role(Role.SITE_STAFF, site=net.site))
    client.post(BOOK, hold_data(net, first_slot(net)))
    assert Appointment.objects.get().channel == Channel.SITE


def test_a_slot_just_taken_shows_fresh_alternatives(client, net, operator):
    slot = first_slot(net)
    appointment_book(
        actor=None,
        channel=Channel.ONLINE,
        patient=PatientFactory(),
        use=net.use,
        site=net.site,
        starts_at=slot.starts_at,
    )
    response = client.post(BOOK, hold_data(net, slot))
    assert response.status_code == 409
    content = response.content.decode()
    assert "Ce créneau vient d'être pris" in content
    assert content.count('data-testid="slot"') >= 1
    assert f'value="{slot.starts_at.isoformat()}"' not in content
    assert Appointment.objects.count() == 1


def test_someone_elses_hold_cannot_be_confirmed(client, net, operator):
    other = user_with_role(Role.OPERATOR, departement_id="55")
    client.force_login(other)
    client.post(BOOK, hold_data(net, first_slot(net)))
    hold = Appointment.objects.get()
    client.force_login(operator)
    response = client.post(BOOK, {"action": "confirm", "option": hold.pk, "patient": PatientFactory().pk})
    assert response.status_code == 404
    hold.refresh_from_db()
    assert hold.status == AppointmentStatus.HELD


def test_hold_is_released(client, net, operator):
    client.post(BOOK, hold_data(net, first_slot(net)))
    hold = Appointment.objects.get()
    assert client.post(BOOK, {"action": "release", "option": hold.pk}).status_code == 302
    hold.refresh_from_db()
    assert hold.status == AppointmentStatus.CANCELLED
    assert not ResourceBooking.objects.exists()


def test_patient_created_from_a_phone_number_alone(client, net, operator):
    response = client.post(
        BOOK,
        {
            "action": "create_patient",
            "nouveau-phone": "06 11 22 33 44",
            "retour": BOOK,
            "carried_query": "use=3",
        },
    )
    patient = Patient.objects.get()
    assert patient.phone == "+33611223344"
    assert response.url == f"{BOOK}?use=3&patient={patient.pk}"
    assert AuditEvent.objects.filter(action="patient.create", channel=Channel.PHONE).exists()


def test_duplicates_are_shown_before_creating_a_patient(client, net, operator):
    existing = PatientFactory(last_name="Lefèvre", first_name="Anne", birth_date=dt.date(1948, 3, 9))
    data = {
        "action": "create_patient",
        "nouveau-last_name": "LEFEVRE",
        "nouveau-first_name": "anne",
        "nouveau-birth_date": "1948-03-09",
        "retour": BOOK,
    }
    response = client.post(BOOK, data)
    assert response.status_code == 409
    assert f"patient={existing.pk}" in response.content.decode()
    assert Patient.objects.count() == 1
    # The identity shown is a read of a patient record: audited, with who read it.
    read = AuditEvent.objects.get(action="patient.read", target_id=str(existing.pk))
    assert read.actor == operator
    assert read.reason == "recherche de doublons"
    response = client.post(BOOK, {**data, "nouveau-create_anyway": "on"})
    assert response.status_code == 302
    assert Patient.objects.count() == 2


def test_patient_search_flags_likely_duplicates(client, net, operator):
    twins = [
        PatientFactory(last_name="Martin", first_name="Paul", birth_date=dt.date(1950, 1, 1))
        for _ in range(2)
    ]
    PatientFactory(
        last_name="Martinez", first_name="Lea", phone="+33353010001", birth_date=dt.date(1960, 1, 1)
    )
    response = client.get(
        reverse("scheduling:patient_search"),
        {"recherche-q": "martin", "recherche-birth_date": "1950-01-01", "retour": BOOK, "use": "7"},
    )
    content = response.content.decode()
    assert content.count('data-testid="patient-result"') == 2
    assert content.count("doublon probable") == 2
    assert f"{BOOK}?use=7&amp;patient={twins[0].pk}" in content
    assert AuditEvent.objects.filter(action="patient.search_result").count() == 2
    by_phone = client.get(reverse("scheduling:patient_search"), {"recherche-phone": "03 53 01 00 01"})
    assert by_phone.content.decode().count('data-testid="patient-result"') == 1
    # A partial name alone does not browse the patient list.
    name_only = client.get(reverse("scheduling:patient_search"), {"recherche-q": "martin"}).content.decode()
    assert 'data-testid="patient-result"' not in name_only
    assert "avec la date de naissance" in name_only


def test_coordinators_book_without_reading_patients(client, net):
    client.force_login(user_with_role(Role.COORDINATOR, departement_id="55"))
    patient = PatientFactory()
    content = client.get(BOOK, {"patient": patient.pk}).content.decode()
    assert patient.last_name not in content
    assert client.get(reverse("scheduling:patient_search"), {"recherche-q": "pat"}).status_code == 403


def test_operator_outside_the_territory_gets_no_slot_and_cannot_hold(client, net):
    DepartementFactory(code="52", name="Haute-Marne")
    client.force_login(user_with_role(Role.OPERATOR, departement_id="52"))
    slot = first_slot(net)
    content = client.get(reverse("scheduling:book_slots"), {"use": net.use.pk}).content.decode()
    assert "Choisissez un usage" in content  # the use is not offered in their territory
    response = client.post(BOOK, hold_data(net, slot))
    assert response.status_code == 302
    assert not Appointment.objects.exists()


# --- appointment page ----------------------------------------------------------------------------------
@pytest.fixture
def booked(net):
    return appointment_book(
        actor=None,
        channel=Channel.PHONE,
        patient=PatientFactory(),
        use=net.use,
        site=net.site,
        starts_at=first_slot(net).starts_at,
    )


def page(client, appointment):
    return client.get(reverse("scheduling:appointment", args=[appointment.pk]))


def buttons(content: str) -> set[str]:
    labels = [
        "Confirmer le rendez-vous",
        "Déplacer",
        "Annuler le rendez-vous",
        "Enregistrer l'arrivée du patient",
        "Commencer la téléconsultation",
        "Terminer la téléconsultation",
        "Noter le patient absent",
    ]
    return {label for label in labels if f">{label}</" in content.replace("&#x27;", "'")}


def test_actions_follow_role_and_state(client, net, booked):
    client.force_login(user_with_role(Role.OPERATOR, departement_id="55"))
    assert buttons(page(client, booked).content.decode()) == {
        "Confirmer le rendez-vous",
        "Déplacer",
        "Annuler le rendez-vous",
    }
    client.force_login(user_with_role(Role.SITE_STAFF, site=net.site))
    assert buttons(page(client, booked).content.decode()) == {
        "Confirmer le rendez-vous",
        "Déplacer",
        "Annuler le rendez-vous",
        "Enregistrer l'arrivée du patient",
    }
    doctor_user = user_with_role(Role.REMOTE_DOCTOR)
    net.doctor.user = doctor_user
    net.doctor.save()
    client.force_login(doctor_user)
    assert buttons(page(client, booked).content.decode()) == {"Enregistrer l'arrivée du patient"}


def test_site_staff_run_the_appointment_to_completion(client, net, booked):
    client.force_login(user_with_role(Role.SITE_STAFF, site=net.site))
    url = reverse("scheduling:appointment", args=[booked.pk])
    for action in ("confirm", "check_in", "start"):
        assert client.post(url, {"action": action}).status_code == 302
    response = client.post(url, {"action": "complete", "complete-duration_minutes": "300"})
    assert response.status_code == 422
    assert 'id="id_complete-duration_minutes_error"' in response.content.decode()
    response = client.post(
        url, {"action": "complete", "complete-duration_minutes": "18", "complete-act_code": "TCG"}
    )
    assert response.status_code == 302
    booked.refresh_from_db()
    assert (booked.status, booked.duration_minutes, booked.act_code) == (
        AppointmentStatus.COMPLETED,
        18,
        "TCG",
    )
    assert [t.name for t in booked.transitions.all()] == ["book", "confirm", "check_in", "start", "complete"]
    assert set(booked.transitions.exclude(name="book").values_list("channel", flat=True)) == {Channel.SITE}
    assert buttons(page(client, booked).content.decode()) == set()


def test_cancel_needs_a_reason_and_frees_the_slot(client, net, booked):
    client.force_login(user_with_role(Role.OPERATOR, departement_id="55"))
    url = reverse("scheduling:appointment", args=[booked.pk])
    response = client.post(url, {"action": "cancel", "cancel-reason": ""})
    assert response.status_code == 422
    assert 'id="id_cancel-reason_error"' in response.content.decode()
    response = client.post(
        url, {"action": "cancel", "cancel-reason": "patient hospitalisé", "cancel-by_patient": "on"}
    )
    assert response.status_code == 302
    booked.refresh_from_db()
    assert (booked.status, booked.cancelled_by_patient) == (AppointmentStatus.CANCELLED, True)
    assert not ResourceBooking.objects.filter(appointment=booked).exists()


def test_reschedule_moves_the_appointment(client, net, booked):
    client.force_login(user_with_role(Role.OPERATOR, departement_id="55"))
    new_start = local(booked.starts_at) + dt.timedelta(minutes=30)
    response = client.post(
        reverse("scheduling:appointment", args=[booked.pk]),
        {"action": "reschedule", "reschedule-starts_at": new_start.strftime("%Y-%m-%dT%H:%M")},
    )
    moved = Appointment.objects.get(rescheduled_from=booked)
    assert response.url == reverse("scheduling:appointment", args=[moved.pk])
    assert moved.starts_at == new_start
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.RESCHEDULED


def test_an_action_not_offered_is_refused(client, net, booked):
    client.force_login(user_with_role(Role.OPERATOR, departement_id="55"))
    url = reverse("scheduling:appointment", args=[booked.pk])
    assert client.post(url, {"action": "start"}).status_code == 404
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED


def test_patient_identity_is_shown_and_read_is_audited(client, net, booked):
    client.force_login(user_with_role(Role.SITE_STAFF, site=net.site))
    content = page(client, booked).content.decode()
    assert booked.patient.last_name in content
    assert AuditEvent.objects.filter(action="patient.read", target_id=str(booked.patient_id)).count() == 1
    client.force_login(user_with_role(Role.COORDINATOR, departement_id="55"))
    content = page(client, booked).content.decode()
    assert booked.patient.last_name not in content
    assert "identité non affichée" in content


@pytest.mark.parametrize(
    ("role", "scope"), [(Role.OPERATOR, {"departement_id": "52"}), (Role.REMOTE_DOCTOR, {})]
)
def test_appointment_outside_the_scope_is_not_found(client, net, booked, role, scope):
    DepartementFactory(code="52", name="Haute-Marne")
    client.force_login(user_with_role(role, **scope))
    assert page(client, booked).status_code == 404


def test_slots_are_grouped_by_site_nearest_first_with_each_site_s_next_times():
    from maille.scheduling.slot_groups import SITES_SHOWN, TIMES_PER_SITE, SlotChoice, by_site

    start = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)

    def slot(site: int, minutes: int, travel: float) -> SlotChoice:
        at = start + dt.timedelta(minutes=minutes)
        return SlotChoice(site, f"Site {site}", at, at + dt.timedelta(minutes=20), travel, 1)

    # the engine's order: earliest first; site 2 is nearer but its first slot is later
    slots = [slot(1, 0, 25.0), slot(1, 20, 25.0), slot(2, 40, 10.0)] + [
        slot(1, 60 + 20 * i, 25.0) for i in range(6)
    ]
    slots += [slot(10 + i, 300, 40.0 + i) for i in range(SITES_SHOWN + 2)]
    groups = by_site(slots)
    assert [g.site_id for g in groups][:2] == [2, 1]  # nearest first
    assert len(groups) == SITES_SHOWN
    assert [t.starts_at for t in groups[1].times] == [s.starts_at for s in slots[:2] + slots[3:5]]
    assert len(groups[1].times) == TIMES_PER_SITE
    assert groups[0].travel_minutes == 10.0


def test_the_operator_reads_the_confirmation_out_and_notes_the_call(
    client, net, operator, settings, tmp_path
):
    from maille.notifications.models import Message, MessageKind

    settings.NOTIFICATIONS_FILE = str(tmp_path / "outbox.jsonl")
    patient = PatientFactory(phone="+33612345678", email="")
    slot = find_slots(SlotQuery(use=net.use, site_ids=(net.site.pk,), limit=30))[-1]  # days ahead: reminders
    client.post(BOOK, hold_data(net, slot, patient))
    hold = Appointment.objects.get()
    page = html.unescape(
        client.get(
            f"{reverse('scheduling:appointment', args=[hold.pk])}?patient={patient.pk}"
        ).content.decode()
    )
    assert "je la lis au patient" in page
    assert "l'envoyer (SMS ou courriel)" in page
    response = client.post(BOOK, {"action": "confirm", "option": hold.pk, "patient": patient.pk,
                                  "confirmation": "read", "call_note": "  Fille présente  "})  # fmt: skip
    assert response.status_code == 302
    hold.refresh_from_db()
    assert (hold.status, hold.confirmation_read_out, hold.call_note) == (
        AppointmentStatus.BOOKED,
        True,
        "Fille présente",
    )
    kinds = set(Message.objects.filter(appointment=hold).values_list("kind", flat=True))
    assert MessageKind.CONFIRMATION not in kinds  # read out: not sent
    assert MessageKind.FIRST_REMINDER in kinds  # the reminders still go
    page = client.get(reverse("scheduling:appointment", args=[hold.pk])).content.decode()
    assert 'data-testid="read-out"' in page
    assert "Fille présente" in page


def test_a_patient_with_a_landline_only_hears_the_confirmation(client, net, operator):
    patient = PatientFactory(phone="+33329000000", email="")  # a landline: no SMS
    client.post(BOOK, hold_data(net, first_slot(net), patient))
    hold = Appointment.objects.get()
    page = html.unescape(
        client.get(
            f"{reverse('scheduling:appointment', args=[hold.pk])}?patient={patient.pk}"
        ).content.decode()
    )
    assert "ni portable ni courriel" in page
    assert "l'envoyer (SMS ou courriel)" not in page
    refused = client.post(
        BOOK, {"action": "confirm", "option": hold.pk, "patient": patient.pk, "confirmation": "send"}
    )
    assert refused.status_code == 302
    hold.refresh_from_db()
    assert hold.status == AppointmentStatus.HELD  # "send" is not a choice for this patient: nothing booked
    client.post(BOOK, {"action": "confirm", "option": hold.pk, "patient": patient.pk})
    hold.refresh_from_db()
    assert (hold.status, hold.confirmation_read_out) == (AppointmentStatus.BOOKED, True)


def test_a_phone_search_without_result_offers_the_file_from_that_number(client, net, operator):
    response = client.get(reverse("scheduling:patient_search"), {"recherche-phone": "06 98 76 54 32"})
    html = response.content.decode()
    assert "Aucun patient avec ce numéro" in html
    assert 'name="nouveau-phone" value="06 98 76 54 32"' in html
    created = client.post(
        BOOK, {"action": "create_patient", "nouveau-phone": "06 98 76 54 32", "retour": BOOK}
    )
    assert created.status_code == 302
    patient = Patient.objects.get()
    assert patient.phone == "+33698765432"
    # the same number again: the existing file is found first, and a second creation warns of the duplicate
    again = client.get(
        reverse("scheduling:patient_search"), {"recherche-phone": "0698765432"}
    ).content.decode()
    assert 'data-testid="patient-result"' in again
    warned = client.post(BOOK, {"action": "create_patient", "nouveau-phone": "0698765432", "retour": BOOK})
    assert warned.status_code == 409
    assert Patient.objects.count() == 1


def test_the_completion_records_how_the_report_went_and_the_follow_up(client, net, booked):
    client.force_login(user_with_role(Role.SITE_STAFF, site=net.site))
    url = reverse("scheduling:appointment", args=[booked.pk])
    for action in ("check_in", "start"):
        client.post(url, {"action": action})
    refused = client.post(url, {"action": "complete", "complete-duration_minutes": "15",
                                "complete-report_channel": "pigeon"})  # fmt: skip
    assert refused.status_code == 422
    assert 'id="id_complete-report_channel_error"' in refused.content.decode()
    response = client.post(url, {
        "action": "complete", "complete-duration_minutes": "15", "complete-report_channel": "mssante",
        "complete-follow_up_note": "Revoir dans 15 jours",
    })  # fmt: skip
    assert response.status_code == 302
    booked.refresh_from_db()
    assert (booked.report_channel, booked.report_sent_to_medecin_traitant) == ("mssante", True)
    assert (booked.follow_up_needed, booked.follow_up_note) == (True, "Revoir dans 15 jours")
    html = page(client, booked).content.decode()
    assert "messagerie sécurisée de santé (MSSanté)" in html
    assert "à prévoir — Revoir dans 15 jours" in html


def test_a_report_given_to_no_gp_does_not_count_as_sent(net, booked):
    from maille.core.errors import DomainError
    from maille.scheduling.services import appointment_check_in, appointment_complete, appointment_start

    for service in (appointment_check_in, appointment_start):
        booked = service(actor=None, channel=Channel.SITE, appointment=booked)
    with pytest.raises(DomainError, match="inconnu"):
        appointment_complete(actor=None, channel=Channel.SITE, appointment=booked, duration_minutes=10,
                             report_channel="fax")  # fmt: skip
    done = appointment_complete(actor=None, channel=Channel.SITE, appointment=booked, duration_minutes=10,
                                report_channel="sans_mt")  # fmt: skip
    assert (done.report_sent_to_medecin_traitant, done.follow_up_needed) == (False, False)


def test_site_staff_open_today_s_free_times_for_a_walk_in_and_others_do_not(client, net):
    query = {"use": net.use.pk, "site": net.site.pk, "sans_rdv": "on"}
    client.force_login(user_with_role(Role.SITE_STAFF, site=net.site))
    day = client.get(reverse("scheduling:site_day", args=[net.site.pk])).content.decode()
    assert 'data-testid="walk-in"' in day
    fragment = client.get(reverse("scheduling:book_slots"), query).content.decode()
    assert 'data-testid="walk-in-mode"' in fragment
    client.force_login(user_with_role(Role.OPERATOR, departement_id="55"))
    fragment = client.get(reverse("scheduling:book_slots"), query).content.decode()
    assert 'data-testid="walk-in-mode"' not in fragment  # an operator does not run the site's day
