"""``core.queries.row_by_key``: one row of a scoped queryset, its statement compiled once per shape, and the same
answer as the ORM's for every role (the selectors of the booking path rely on it)."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext

from maille.accounts.models import Role
from maille.accounts.scope import scope_for
from maille.core import queries as queries_module
from maille.core.models import AuditEvent, Channel
from maille.core.queries import insert_rows, row_by_key
from maille.directory.models import Site
from maille.directory.selectors import site_visible_to, sites_visible_to
from maille.patients.models import Patient
from maille.scheduling.selectors import patient_bookable_by, patients_bookable_by
from tests.accounts.factories import user_with_role
from tests.factories import UserFactory
from tests.patients.factories import PatientFactory
from tests.scheduling.factories import make_network

pytestmark = pytest.mark.django_db


def _columns(obj):
    return {field.attname: getattr(obj, field.attname) for field in type(obj)._meta.concrete_fields}


@pytest.fixture
def two_departements():
    meuse = make_network()
    marne = make_network(use=meuse.use, departement="52", commune_code="52001", latitude=48.1, longitude=5.1)
    return meuse, marne


def _users(meuse, marne):
    doctor = UserFactory()
    doctor.save()
    doctor.role_grants.create(role=Role.REMOTE_DOCTOR)
    meuse.doctor.user = doctor
    meuse.doctor.save(update_fields=["user"])
    return {
        "administrateur": user_with_role(Role.PLATFORM_ADMIN),
        "coordinateur 55": user_with_role(Role.COORDINATOR, departement_id="55"),
        "personnel du site marnais": user_with_role(Role.SITE_STAFF, site=marne.site),
        "médecin de la Meuse": doctor,
        "évaluateur": user_with_role(Role.EVALUATOR),
        "sans rôle": UserFactory(),
    }


def test_each_role_gets_the_site_the_orm_gives_it_with_its_commune_loaded(two_departements):
    meuse, marne = two_departements
    keys = [meuse.site.pk, marne.site.pk, marne.site.pk + 1000]
    seen = {}
    for name, user in _users(meuse, marne).items():
        for key in keys:
            expected = sites_visible_to(user).filter(pk=key).select_related("commune").first()
            found = site_visible_to(user, key)
            seen[name, key] = found is not None
            if expected is None:
                assert found is None, (name, key)
                continue
            assert isinstance(found, Site), (name, key)
            assert _columns(found) == _columns(expected), (name, key)
            assert not found._state.adding
            assert found._state.db == "default"
            with CaptureQueriesContext(connection) as queries:
                assert _columns(found.commune) == _columns(expected.commune)
            assert not queries.captured_queries, "the commune comes with the site"
    # The scopes differ, so the lookups must have too (a shared statement would give everyone the same sites).
    assert seen["administrateur", marne.site.pk]
    assert seen["administrateur", meuse.site.pk]
    assert seen["coordinateur 55", meuse.site.pk]
    assert not seen["coordinateur 55", marne.site.pk]
    assert seen["personnel du site marnais", marne.site.pk]
    assert not seen["personnel du site marnais", meuse.site.pk]
    assert seen["médecin de la Meuse", meuse.site.pk]
    assert not seen["médecin de la Meuse", marne.site.pk]
    assert not any(found for (name, _), found in seen.items() if name in ("évaluateur", "sans rôle"))


def test_the_statement_is_compiled_once_per_shape_then_only_run(two_departements):
    meuse, marne = two_departements
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    other_coordinator = user_with_role(Role.COORDINATOR, departement_id="55")  # the same scope
    scope_for(coordinator), scope_for(other_coordinator)  # their grants read (kept for the request)
    queries_module._compiled_lookups.clear()  # as in a new process
    with mock.patch.object(SQLCompiler, "as_sql", autospec=True, side_effect=SQLCompiler.as_sql) as compiled:
        assert site_visible_to(coordinator, meuse.site.pk) == meuse.site
        first = compiled.call_count
        with CaptureQueriesContext(connection) as queries:
            assert site_visible_to(other_coordinator, meuse.site.pk) == meuse.site
            assert site_visible_to(coordinator, marne.site.pk) is None
        assert compiled.call_count == first, "compiled again for a shape already met"
        assert len(queries.captured_queries) == 2
    assert first == 1


def test_a_patient_is_found_for_whoever_may_book_and_merged_records_are_not(two_departements):
    kept, merged = PatientFactory(), PatientFactory()
    merged.merged_into = kept
    merged.save(update_fields=["merged_into"])
    operator = user_with_role(Role.OPERATOR)
    found = patient_bookable_by(operator, kept.pk)
    assert isinstance(found, Patient)
    assert _columns(found) == _columns(kept)
    assert patient_bookable_by(operator, merged.pk) is None
    assert patient_bookable_by(operator, kept.pk + merged.pk + 1) is None
    # Beyond what the key's column holds: no row, not a database error (the ORM answers the same).
    for key in (2**63, -(2**70), 6064767185551276113920):
        assert patient_bookable_by(operator, key) is None
        assert site_visible_to(operator, key) is None
    evaluator = user_with_role(Role.EVALUATOR)
    assert not patients_bookable_by(evaluator).exists()
    with CaptureQueriesContext(connection) as queries:
        assert patient_bookable_by(evaluator, kept.pk) is None
    assert not queries.captured_queries, "a queryset that matches nothing is not asked"


def test_converted_columns_come_back_as_the_orm_gives_them():
    """JSON and dates go through the fields' and the backend's conversions, as in a queryset."""
    [event] = insert_rows(
        [
            AuditEvent(
                action="patient.read",
                target_type="patients.patient",
                target_id="1",
                channel=Channel.API,
                details={"numéro": 1, "liste": [1, "deux"]},
            )
        ]
    )
    found = row_by_key(("événement", "test"), lambda: AuditEvent.objects.all(), event.pk)
    assert _columns(found) == _columns(AuditEvent.objects.get(pk=event.pk))
    assert found.details == {"numéro": 1, "liste": [1, "deux"]}
    assert row_by_key(("événement", "test"), lambda: AuditEvent.objects.all(), event.pk + 1) is None


def test_a_queryset_whose_key_cannot_be_placed_falls_back_to_the_orm():
    """The mark is found twice (a filter on the same value): the statement is not reused, the answer still right."""
    [event] = insert_rows(
        [AuditEvent(action="patient.read", target_type="t", target_id="1", channel=Channel.API, details={})]
    )
    mark = queries_module._KEY_MARK
    shape = ("double", "test")
    assert row_by_key(shape, lambda: AuditEvent.objects.exclude(pk=mark), event.pk) == event
    assert row_by_key(shape, lambda: AuditEvent.objects.exclude(pk=mark), event.pk + 1) is None
