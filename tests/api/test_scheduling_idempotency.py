"""``Idempotency-Key`` on POST: a retry replays the first answer, another body is refused, keys expire."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from maille.api.housekeeping import expired_idempotency_keys_purge
from maille.api.idempotency import REPLAYED_HEADER
from maille.api.models import IdempotencyKey
from maille.patients.models import Patient
from maille.scheduling.models import Appointment, AppointmentTransition
from tests.api.scheduling_world import build_booking_world
from tests.api.world import bearer_for

BOOKINGS = "/api/v1/scheduling/bookings"
PATIENTS = "/api/v1/scheduling/patients"


@pytest.fixture
def w(db):
    return build_booking_world()


def post(client, headers, url, payload, key):
    return client.post(
        url, payload, content_type="application/json", headers={**headers, "Idempotency-Key": key}
    )


def a_slot(client, w, headers, index=0):
    slots = client.get(
        "/api/v1/scheduling/slots", {"use": "tlc-test", "site": w.net.site.pk, "limit": 5}, headers=headers
    ).json()
    return slots[index]["starts_at"]


def booking(w, starts_at):
    return {"patient": w.patient.pk, "use": "tlc-test", "site": w.net.site.pk, "starts_at": starts_at}


def test_a_retry_with_the_same_key_and_body_returns_the_first_answer(client, w):
    headers = bearer_for(w.operator)
    payload = booking(w, a_slot(client, w, headers))
    first = post(client, headers, BOOKINGS, payload, "k-1")
    assert first.status_code == 201, first.content
    assert REPLAYED_HEADER not in first
    # Same content, other key order: the same request.
    retry = post(client, headers, BOOKINGS, dict(reversed(list(payload.items()))), "k-1")
    assert retry.status_code == 201
    assert retry[REPLAYED_HEADER] == "true"
    assert retry.json() == first.json()
    assert Appointment.objects.count() == 1
    assert AppointmentTransition.objects.count() == 1


def test_an_error_answer_is_replayed_too_but_not_a_fresh_key(client, w):
    headers = bearer_for(w.operator)
    payload = {**booking(w, a_slot(client, w, headers)), "patient": 999999}
    first = post(client, headers, BOOKINGS, payload, "k-err")
    assert first.status_code == 422
    assert post(client, headers, BOOKINGS, payload, "k-err").json() == first.json()
    valid = {**payload, "patient": w.patient.pk}
    assert post(client, headers, BOOKINGS, valid, "k-new").status_code == 201


def test_the_same_key_with_another_body_is_422(client, w):
    headers = bearer_for(w.operator)
    assert post(client, headers, PATIENTS, {"phone": "0612345678"}, "k-2").status_code == 201
    refused = post(client, headers, PATIENTS, {"phone": "0699999999"}, "k-2")
    assert refused.status_code == 422
    assert refused.json()["type"].endswith("cle-idempotence-reutilisee")
    assert Patient.objects.filter(phone="+33699999999").count() == 0


def test_keys_belong_to_their_user(client, w):
    assert (
        post(client, bearer_for(w.operator), PATIENTS, {"phone": "0612345678"}, "shared").status_code == 201
    )
    response = post(client, bearer_for(w.admin), PATIENTS, {"phone": "0612345678"}, "shared")
    assert response.status_code == 201
    assert REPLAYED_HEADER not in response
    assert Patient.objects.filter(phone="+33612345678").count() == 3  # the world's patient and two new ones


def test_keys_expire_after_24_hours(client, w):
    headers = bearer_for(w.operator)
    first = post(client, headers, PATIENTS, {"phone": "0612345678"}, "k-3")
    stored = IdempotencyKey.objects.get(key="k-3")
    assert stored.expires_at - stored.created_at == dt.timedelta(hours=24)
    IdempotencyKey.objects.filter(pk=stored.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    again = post(client, headers, PATIENTS, {"phone": "0612345678"}, "k-3")
    assert again.status_code == 201
    assert REPLAYED_HEADER not in again
    assert again.json()["id"] != first.json()["id"]
    IdempotencyKey.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert expired_idempotency_keys_purge() == 1  # the housekeeping job
    assert not IdempotencyKey.objects.exists()


def test_an_invalid_key_is_400_and_unauthenticated_posts_stay_401(client, w):
    headers = bearer_for(w.operator)
    assert post(client, headers, PATIENTS, {"phone": "0612345678"}, "x" * 300).status_code == 400
    assert post(client, {}, PATIENTS, {"phone": "0612345678"}, "k-4").status_code == 401
    assert not IdempotencyKey.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_the_same_key_book_once():
    w = build_booking_world()
    headers = bearer_for(w.operator)
    payload = booking(w, a_slot(Client(), w, headers))
    clients = 2
    barrier = threading.Barrier(clients)
    responses: list = [None] * clients

    def send(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            responses[index] = post(Client(), headers, BOOKINGS, payload, "race")
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [r.status_code for r in responses] == [201, 201], [r.content for r in responses]
    assert responses[0].json() == responses[1].json()
    assert sorted(REPLAYED_HEADER in r for r in responses) == [False, True]
    assert Appointment.objects.count() == 1
