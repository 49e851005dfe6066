"""The public booking flow through its pages: find a commune, see slots, hold, identity, code, manage."""

from __future__ import annotations

import pytest
from django.urls import reverse

from maille.core.models import AuditEvent, Channel
from maille.notifications.models import Message, MessageKind
from maille.patients.models import Patient
from maille.public.models import PublicBooking, PublicBookingState
from maille.scheduling.models import Appointment, AppointmentStatus
from maille.scheduling.selectors import double_bookings_count

from .support import PERSON, book, hold, last_code, text

pytestmark = pytest.mark.django_db


def test_a_postcode_leads_to_the_slots_of_its_commune(client, net):
    response = client.get(reverse("public:start"), {"usage": net.use.pk, "lieu": "55300"})
    assert response.status_code == 302
    assert "commune=55463" in response["Location"]
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = text(page)
    assert net.site.name in html
    assert html.count('data-testid="slot"') >= 4


def test_a_commune_name_is_found_without_accents_or_case(client, net):
    response = client.get(reverse("public:start"), {"usage": net.use.pk, "lieu": "st mihiel"})
    assert response.status_code == 302
    assert "commune=55463" in response["Location"]


def test_an_unknown_place_is_a_clear_error_beside_its_field(client, net):
    response = client.get(reverse("public:start"), {"usage": net.use.pk, "lieu": "Atlantide"})
    assert response.status_code == 400
    assert "Nous ne trouvons pas cette commune" in text(response)
    assert 'aria-invalid="true"' in text(response)


def test_the_whole_booking_by_sms_code(client, net):
    response = book(client, net)
    assert response.status_code == 302
    assert "/rdv/gerer/" in response["Location"]
    appointment = Appointment.objects.get(status=AppointmentStatus.BOOKED)
    assert appointment.channel == Channel.ONLINE
    patient = appointment.patient
    assert (patient.last_name, patient.first_name, patient.phone) == ("Martin", "Jeanne", "+33612345678")
    assert patient.consents_to_teleconsultation
    assert AuditEvent.objects.filter(action="patient.create", target_id=str(patient.pk)).exists()
    booking = PublicBooking.objects.get()
    assert booking.state == PublicBookingState.CONFIRMED
    assert (booking.last_name, booking.contact, booking.code_hash) == ("", "", "")  # identity not kept here
    confirmation = Message.objects.get(kind=MessageKind.CONFIRMATION, appointment=appointment)
    assert "https://rdv.example.org/rdv/gerer/" in confirmation.body
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Votre rendez-vous est confirmé" in text(page)


def test_the_code_is_sent_by_email_when_an_address_is_given(client, net):
    response = book(client, net, person={**PERSON, "contact": "Jeanne.Martin@Example.org"})
    assert response.status_code == 302
    code = Message.objects.get(kind=MessageKind.VERIFICATION_CODE)
    assert (code.channel, code.recipient) == ("email", "jeanne.martin@example.org")
    assert Patient.objects.get().email == "jeanne.martin@example.org"


@pytest.mark.parametrize(
    ("contact", "says"),
    [
        ("01 44 55 66 77", "pas un portable"),
        ("+44 7911 123456", "numéros français"),
        ("06 12", "pas valable"),
        ("jeanne@", "adresse électronique n'est pas valable"),
    ],
)
def test_a_phone_that_is_not_a_french_mobile_is_refused_in_french(client, net, contact, says):
    identity_url = hold(client, net)["Location"]
    response = client.post(identity_url, {"action": "send", **PERSON, "contact": contact})
    assert response.status_code == 400
    assert says in text(response)
    assert not Message.objects.filter(kind=MessageKind.VERIFICATION_CODE).exists()


def test_a_relative_books_for_someone_else(client, net):
    person = {**PERSON, "pour_un_proche": "on", "nom_proche": "Martin", "prenom_proche": "Paul",
              "contact": "07 81 22 33 44"}  # fmt: skip
    assert book(client, net, person=person).status_code == 302
    appointment = Appointment.objects.get(status=AppointmentStatus.BOOKED)
    assert appointment.booked_by_caregiver
    patient = appointment.patient
    assert (patient.first_name, patient.phone) == ("Jeanne", "")
    assert (patient.caregiver.first_name, patient.caregiver.phone) == ("Paul", "+33781223344")
    # the messages go to the relative
    assert Message.objects.get(kind=MessageKind.CONFIRMATION).recipient == "+33781223344"


def test_a_relative_must_give_their_own_name(client, net):
    identity_url = hold(client, net)["Location"]
    response = client.post(identity_url, {"action": "send", **PERSON, "pour_un_proche": "on"})
    assert response.status_code == 400
    assert "vous prenez le rendez-vous" in text(response)


def test_a_second_booking_from_the_same_patient_keeps_the_first(client, net, django_user_model):
    assert book(client, net).status_code == 302
    from .support import first_slot

    response = book(client, net, slot=first_slot(net, index=0))
    assert response.status_code == 409
    assert "déjà un rendez-vous" in text(response)
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 1
    assert not Appointment.objects.filter(status=AppointmentStatus.HELD).exists()  # second hold released


def test_two_tabs_hold_one_slot_at_a_time(client, net):
    from .support import first_slot

    first = hold(client, net, first_slot(net, index=0))["Location"]
    second = hold(client, net, first_slot(net, index=1))["Location"]
    assert Appointment.objects.filter(status=AppointmentStatus.HELD).count() == 1
    response = client.post(first, {"action": "send", **PERSON})
    assert response.status_code == 404  # the first tab's request is no longer this browser's
    assert client.post(second, {"action": "send", **PERSON}).status_code == 302


def test_the_code_sent_twice_books_once(client, net):
    identity_url = hold(client, net)["Location"]
    code_url = client.post(identity_url, {"action": "send", **PERSON})["Location"]
    code = last_code()
    first = client.post(code_url, {"action": "check", "code": code})
    assert first.status_code == 302
    # the same browser sends the form again (double click, back button): nothing more is booked
    # the session no longer holds the request: a replay opens nothing
    again = client.post(code_url, {"action": "check", "code": code})
    assert again.status_code == 404
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 1


def test_five_wrong_codes_cancel_the_booking_and_free_the_slot(client, net, settings):
    identity_url = hold(client, net)["Location"]
    code_url = client.post(identity_url, {"action": "send", **PERSON})["Location"]
    right = last_code()
    wrong = "000000" if right != "000000" else "111111"
    for left in (4, 3, 2, 1):
        response = client.post(code_url, {"action": "check", "code": wrong})
        assert response.status_code == 400
        assert f"Il vous reste {left} essai" in text(response)
    response = client.post(code_url, {"action": "check", "code": wrong})
    assert response.status_code == 422
    assert "cette réservation est annulée" in text(response)
    assert PublicBooking.objects.get().state == PublicBookingState.LOCKED
    assert not Appointment.objects.filter(status=AppointmentStatus.HELD).exists()
    assert double_bookings_count() == 0


def test_a_code_must_be_six_digits(client, net):
    identity_url = hold(client, net)["Location"]
    code_url = client.post(identity_url, {"action": "send", **PERSON})["Location"]
    response = client.post(code_url, {"action": "check", "code": "12ab"})
    assert response.status_code == 400
    assert "6 chiffres" in text(response)
    assert PublicBooking.objects.get().wrong_codes == 0


def test_a_stale_hold_cannot_be_booked(client, net):
    identity_url = hold(client, net)["Location"]
    code_url = client.post(identity_url, {"action": "send", **PERSON})["Location"]
    from django.utils import timezone

    Appointment.objects.filter(status=AppointmentStatus.HELD).update(hold_expires_at=timezone.now())
    response = client.post(code_url, {"action": "check", "code": last_code()})
    assert response.status_code == 409
    assert "plus réservé pour vous" in text(response)
    assert not Appointment.objects.filter(status=AppointmentStatus.BOOKED).exists()


def test_a_slot_taken_between_display_and_choice_offers_the_next_ones(client, net):
    from .support import first_slot

    slot = first_slot(net)
    other = client.__class__()
    assert hold(other, net, slot).status_code == 302
    response = hold(client, net, slot)
    assert response.status_code == 409
    html = text(response)
    assert "vient d'être pris" in html
    assert html.count('data-testid="slot"') >= 1


def test_a_tampered_hold_form_is_a_400_naming_the_field(client, net):
    response = client.post(reverse("public:hold"), {"usage": net.use.pk, "creneau": f"{net.site.pk}_demain"})
    assert response.status_code == 400
    assert "creneau" in text(response)


def test_the_outbox_page_hides_codes_unless_messages_stay_on_this_machine(client, net, settings):
    from tests.factories import user_with_role

    url = hold(client, net)["Location"]
    client.post(url, {"action": "send", **PERSON})
    code = last_code()
    staff = client.__class__()
    staff.force_login(user_with_role("platform_admin"))
    settings.NOTIFICATIONS_SHOW_CODES = False
    hidden = text(staff.get(reverse("notifications:outbox")))
    assert code not in hidden
    assert "masqué" in hidden
    settings.NOTIFICATIONS_SHOW_CODES = True  # the demo: the tester reads the code on the outbox page
    assert code in text(staff.get(reverse("notifications:outbox")))
