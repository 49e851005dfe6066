"""FHIR scheduling: Schedule, Slot search, Appointment create/read/search/cancel, parsed back with
fhir.resources; every error an OperationOutcome."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone
from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot

from maille.core.models import Channel
from maille.directory.fhir import ASSISTED_TELECONSULTATION, CARE_MODE_EXTENSION
from maille.directory.models import NetworkRole
from maille.scheduling import fhir as mapping
from maille.scheduling import services
from maille.scheduling.fhir import parse_slot_id, slot_id
from maille.scheduling.models import Appointment, AppointmentStatus, AppointmentTransition
from tests.api.fhir_helpers import bundle_of, ids, outcome_of, resource_of
from tests.api.scheduling_world import build_booking_world
from tests.api.world import bearer_for

FHIR_JSON = "application/fhir+json"


@pytest.fixture
def w(db):
    return build_booking_world()


def get(client, user, url, **params):
    return client.get(url, params, headers=bearer_for(user))


def slots(client, w, user=None, **params):
    params = {"service-type": "tlc-test", "_count": "5", **params}
    return bundle_of(get(client, user or w.operator, "/fhir/Slot", **params))


def appointment_body(w, slot_id, **extra):
    body = {
        "resourceType": "Appointment",
        "status": "booked",
        "slot": [{"reference": f"Slot/{slot_id}"}],
        "participant": [
            {"actor": {"reference": f"Patient/{w.patient.pk}"}, "status": "accepted"},
        ],
        **extra,
    }
    return json.dumps(body)


def create(client, user, body, **headers):
    return client.post(
        "/fhir/Appointment", body, content_type=FHIR_JSON, headers={**bearer_for(user), **headers}
    )


def test_schedules_one_per_room_and_practitioner_role(client, w):
    bundle = bundle_of(get(client, w.operator, "/fhir/Schedule"))
    found = set(ids(bundle))
    assert f"room-{w.net.room.pk}" in found
    assert f"room-{w.far.room.pk}" not in found  # outside the operator's département
    room_schedule = resource_of(get(client, w.operator, f"/fhir/Schedule/room-{w.net.room.pk}"), Schedule)
    assert room_schedule.actor[0].reference == f"Location/room-{w.net.room.pk}"
    roles = [s for s in bundle.entry if s.resource.id.startswith("role-")]
    assert {
        a.reference for s in roles for a in s.resource.actor if a.reference.startswith("Practitioner/")
    } >= {
        f"Practitioner/{w.net.doctor.pk}",
        f"Practitioner/{w.net.nurse.pk}",
    }
    by_actor = bundle_of(get(client, w.operator, "/fhir/Schedule", actor=f"Location/room-{w.net.room.pk}"))
    assert ids(by_actor) == [f"room-{w.net.room.pk}"]
    # An evaluator reads aggregates only: agendas and appointments are refused, as on the pages and /api/v1.
    for path in ("/fhir/Schedule", "/fhir/Appointment", f"/fhir/Schedule/room-{w.net.room.pk}"):
        refused = get(client, w.evaluator, path)
        assert refused.status_code == 403, path
        assert refused.json()["issue"][0]["code"] == "forbidden"


def test_slot_search_by_service_type_location_and_start(client, w):
    bundle = slots(client, w)
    assert bundle.total == 5
    slot = bundle.entry[0].resource
    assert slot.status == "free"
    assert slot.schedule.reference == f"Schedule/room-{w.net.room.pk}"
    assert slot.serviceType[0].coding[0].code == "tlc-test"
    assert slot.extension[0].url == CARE_MODE_EXTENSION
    assert slot.extension[0].valueCoding.code == ASSISTED_TELECONSULTATION["code"]
    starts = [entry.resource.start for entry in bundle.entry]
    assert starts == sorted(starts)
    later = starts[2].isoformat()
    window = slots(
        client, w, start=[f"ge{later}"], **{"schedule.actor:Location": f"Location/site-{w.net.site.pk}"}
    )
    assert window.entry[0].resource.start == starts[2]
    none = slots(client, w, location=f"Location/site-{w.far.site.pk}")
    assert none.total == 0  # the far site is outside the operator's scope
    admin_far = slots(client, w, user=w.admin, location=f"Location/site-{w.far.site.pk}")
    assert admin_far.total == 5


def test_slot_search_errors_are_operation_outcomes(client, w):
    assert outcome_of(get(client, w.operator, "/fhir/Slot"), 400).issue[0].code == "required"
    assert outcome_of(get(client, w.operator, "/fhir/Slot", foo="1"), 400).issue[0].code == "not-supported"
    assert outcome_of(get(client, w.evaluator, "/fhir/Slot", **{"service-type": "tlc-test"}), 403)
    assert outcome_of(client.get("/fhir/Slot", {"service-type": "tlc-test"}), 401)
    bad_date = get(client, w.operator, "/fhir/Slot", **{"service-type": "tlc-test", "start": "geX"})
    assert outcome_of(bad_date, 400).issue[0].code == "invalid"


def test_create_read_search_and_cancel_an_appointment(client, w):
    slot = slots(client, w).entry[0].resource
    response = create(client, w.operator, appointment_body(w, slot.id))
    assert response.status_code == 201, response.content
    created = FhirAppointment.model_validate_json(response.content)
    assert response["Location"].endswith(f"/fhir/Appointment/{created.id}")
    assert created.status == "booked"
    assert created.start == slot.start
    assert created.slot[0].reference == f"Slot/{slot.id}"
    references = {p.actor.reference for p in created.participant}
    assert references >= {
        f"Patient/{w.patient.pk}",
        f"Location/site-{w.net.site.pk}",
        f"Location/room-{w.net.room.pk}",
    }
    assert any(r.startswith("PractitionerRole/") for r in references)
    stored = Appointment.objects.get(pk=int(created.id))
    assert (stored.channel, stored.created_by) == (Channel.FHIR, w.operator)

    read = resource_of(get(client, w.operator, f"/fhir/Appointment/{created.id}"), FhirAppointment)
    assert read.id == created.id
    found = bundle_of(
        get(client, w.operator, "/fhir/Appointment", patient=f"Patient/{w.patient.pk}", status="booked")
    )
    assert ids(found) == [created.id]
    by_location = get(client, w.operator, "/fhir/Appointment", location=f"Location/site-{w.far.site.pk}")
    assert bundle_of(by_location).total == 0
    by_date = get(client, w.operator, "/fhir/Appointment", date=f"ge{slot.start.isoformat()}")
    assert ids(bundle_of(by_date)) == [created.id]
    outcome_of(get(client, w.outsider, f"/fhir/Appointment/{created.id}"), 404)

    patch = json.dumps(
        [
            {"op": "replace", "path": "/status", "value": "cancelled"},
            {"op": "add", "path": "/cancelationReason", "value": {"text": "Patient hospitalisé"}},
        ]
    )
    response = client.patch(
        f"/fhir/Appointment/{created.id}",
        patch,
        content_type="application/json-patch+json",
        headers=bearer_for(w.operator),
    )
    cancelled = resource_of(response, FhirAppointment)
    assert (cancelled.status, cancelled.cancelationReason.text) == ("cancelled", "Patient hospitalisé")
    assert AppointmentTransition.objects.filter(name="cancel", channel=Channel.FHIR).count() == 1


def test_cancel_by_put(client, w):
    slot = slots(client, w).entry[0].resource
    created = FhirAppointment.model_validate_json(
        create(client, w.operator, appointment_body(w, slot.id)).content
    )
    body = created.model_dump(mode="json", exclude_none=True)
    body.update(status="cancelled", cancelationReason={"text": "Rendez-vous pris ailleurs"})
    response = client.put(
        f"/fhir/Appointment/{created.id}",
        json.dumps(body),
        content_type=FHIR_JSON,
        headers=bearer_for(w.operator),
    )
    assert resource_of(response, FhirAppointment).status == "cancelled"
    assert Appointment.objects.get(pk=int(created.id)).status == AppointmentStatus.CANCELLED
    body.update(status="booked")
    response = client.put(
        f"/fhir/Appointment/{created.id}",
        json.dumps(body),
        content_type=FHIR_JSON,
        headers=bearer_for(w.operator),
    )
    assert outcome_of(response, 422).issue[0].code == "business-rule"


def test_slot_just_taken_is_409_with_alternative_slots(client, w):
    slot = slots(client, w).entry[0].resource
    assert create(client, w.operator, appointment_body(w, slot.id)).status_code == 201
    outcome = outcome_of(create(client, w.admin, appointment_body(w, slot.id)), 409)
    assert outcome.issue[0].code == "conflict"
    alternatives = [issue.expression[0] for issue in outcome.issue[1:]]
    assert alternatives
    assert all(ref.startswith("Slot/") and ref != f"Slot/{slot.id}" for ref in alternatives)
    assert create(client, w.admin, appointment_body(w, alternatives[0].split("/")[1])).status_code == 201


def test_invalid_creations_are_operation_outcomes(client, w):
    slot = slots(client, w).entry[0].resource
    assert outcome_of(create(client, w.operator, "{not json"), 400).issue[0].code == "structure"
    assert outcome_of(create(client, w.operator, appointment_body(w, slot.id, status="proposed")), 422)
    assert outcome_of(create(client, w.operator, appointment_body(w, "nope")), 422)
    no_patient = json.loads(appointment_body(w, slot.id))
    no_patient["participant"] = [{"actor": {"reference": "Patient/999999"}, "status": "accepted"}]
    assert outcome_of(create(client, w.operator, json.dumps(no_patient)), 422)
    assert outcome_of(create(client, w.evaluator, appointment_body(w, slot.id)), 403)
    assert outcome_of(
        client.post("/fhir/Appointment", appointment_body(w, slot.id), content_type=FHIR_JSON), 401
    )
    assert not Appointment.objects.exists()


def test_fhir_create_honours_idempotency_keys(client, w):
    slot = slots(client, w).entry[0].resource
    first = create(client, w.operator, appointment_body(w, slot.id), **{"Idempotency-Key": "fhir-1"})
    again = create(client, w.operator, appointment_body(w, slot.id), **{"Idempotency-Key": "fhir-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content
    assert Appointment.objects.count() == 1


def test_a_free_slot_can_be_read_as_declared(client, w):
    slot = slots(client, w).entry[0].resource
    read = get(client, w.operator, f"/fhir/Slot/{slot.id}")
    assert read.status_code == 200, read.content
    assert resource_of(read, Slot).start == slot.start
    assert get(client, w.evaluator, f"/fhir/Slot/{slot.id}").status_code == 403
    assert get(client, w.operator, "/fhir/Slot/not-a-slot").status_code == 404
    # The same start at a site outside the operator's département: 404, like an unknown slot.
    use_id, _site_id, starts_at = parse_slot_id(slot.id)
    outside = get(client, w.operator, f"/fhir/Slot/{slot_id(use_id, w.far.site.pk, starts_at)}")
    assert outside.status_code == 404
    assert create(client, w.operator, appointment_body(w, slot.id)).status_code == 201
    taken = get(client, w.operator, f"/fhir/Slot/{slot.id}")
    assert taken.status_code == 404
    assert "plus libre" in taken.json()["issue"][0]["diagnostics"]


def test_capability_statement_lists_scheduling_interactions(client, db):
    statement = resource_of(client.get("/fhir/metadata"), CapabilityStatement)
    resources = {resource.type: resource for resource in statement.rest[0].resource}
    assert {i.code for i in resources["Appointment"].interaction} == {
        "read",
        "search-type",
        "create",
        "update",
        "patch",
    }
    assert {i.code for i in resources["Slot"].interaction} == {"read", "search-type"}
    assert {"service-type", "start", "schedule.actor:Location"} <= {
        p.name for p in resources["Slot"].searchParam
    }
    assert "actor" in {p.name for p in resources["Schedule"].searchParam}


def book_tomorrow(w, count):
    """``count`` back-to-back bookings tomorrow from 8:00 (Paris), through the booking service."""
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    first = timezone.make_aware(dt.datetime.combine(tomorrow, dt.time(8)))
    return [
        services.appointment_book(
            actor=w.operator,
            channel=Channel.FHIR,
            patient=w.patient,
            use=w.net.use,
            site=w.net.site,
            starts_at=first + dt.timedelta(minutes=20 * n),
        )
        for n in range(count)
    ]


def test_appointment_roles_are_prefetched_for_a_whole_page(w, django_assert_max_num_queries):
    book_tomorrow(w, 20)
    page = Appointment.objects.select_related("use__remote_specialty", "site").order_by("starts_at", "pk")
    doctor_role = NetworkRole.objects.get(professional=w.net.doctor, sites=w.net.site)
    nurse_role = NetworkRole.objects.get(professional=w.net.nurse, sites=w.net.site)
    counts, resources = {}, {}
    for size in (2, 20):
        # The page, its select_related, then the network roles of its sites: three queries at most.
        with django_assert_max_num_queries(3) as captured:
            rows = list(mapping.with_roles_at_site(page)[:size])
            resources[size] = [mapping.appointment_from(row, mapping.roles_at_site(row)) for row in rows]
        counts[size] = len(captured.captured_queries)
    assert counts[2] == counts[20]
    assert len(resources[20]) == 20
    # The same participants as one query per appointment gives.
    without_prefetch = [mapping.appointment_from(row, mapping.roles_at_site(row)) for row in page]
    assert [r.model_dump(mode="json") for r in resources[20]] == [
        r.model_dump(mode="json") for r in without_prefetch
    ]
    references = {p.actor.reference for p in resources[20][0].participant}
    assert {f"PractitionerRole/{doctor_role.pk}", f"PractitionerRole/{nurse_role.pk}"} <= references


def test_appointment_search_queries_do_not_grow_with_the_page(client, w, django_assert_max_num_queries):
    book_tomorrow(w, 20)
    counts = {}
    for size in (2, 20):
        with django_assert_max_num_queries(8) as captured:
            bundle = bundle_of(get(client, w.operator, "/fhir/Appointment", _count=str(size)))
        assert len(bundle.entry) == size
        counts[size] = len(captured.captured_queries)
    assert counts[2] == counts[20]
