"""factory_boy factories shared by the test suite (one section per app)."""

from __future__ import annotations

import itertools

import factory

from maille.accounts.models import RoleGrant, User
from maille.core.identifiers import luhn_complete
from maille.directory.models import (
    NetworkRole,
    NetworkRoleKind,
    Organisation,
    OrganisationKind,
    Profession,
    Professional,
    Room,
    Site,
    SiteLevel,
)
from maille.territory.models import Commune, Cpts, Departement, Epci, Region

_rpps_bodies = itertools.count(1)


# --- territory -------------------------------------------------------------------------------------
class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "44"
    name = "Grand Est"


class DepartementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Departement
        django_get_or_create = ("code",)

    code = "55"
    name = "Meuse"
    region = factory.SubFactory(RegionFactory)


class EpciFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Epci
        django_get_or_create = ("siren",)

    siren = "200066587"
    name = "CC Val de Meuse - Voie Sacrée"
    kind = "CC"


class CommuneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commune
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"55{n % 1000:03d}")
    name = factory.Sequence(lambda n: f"Commune {n}")
    departement = factory.SubFactory(DepartementFactory)
    population = 500
    population_standardised = 520.0
    latitude = 49.0
    longitude = 5.3
    apl_gp = 2.1
    apl_year = 2023


class CptsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cpts

    name = factory.Sequence(lambda n: f"CPTS test {n}")
    departement = factory.SubFactory(DepartementFactory)


# --- directory -------------------------------------------------------------------------------------
class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Pharmacie {n}")
    kind = OrganisationKind.PHARMACY
    commune = factory.SubFactory(CommuneFactory)


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    name = factory.Sequence(lambda n: f"Site de téléconsultation {n}")
    host_organisation = factory.SubFactory(OrganisationFactory)
    level = SiteLevel.HYPER_PROXIMITY
    commune = factory.SelfAttribute("host_organisation.commune")
    address = "1 place de la Mairie"
    latitude = 49.0
    longitude = 5.3


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    site = factory.SubFactory(SiteFactory)
    name = factory.Sequence(lambda n: f"Salle {n}")


class ProfessionalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Professional

    last_name = factory.Sequence(lambda n: f"Fictif{n}")
    first_name = "Dominique"
    rpps = factory.LazyFunction(lambda: luhn_complete(f"1999{next(_rpps_bodies):06d}"))
    profession = Profession.DOCTOR


class NetworkRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NetworkRole

    professional = factory.SubFactory(ProfessionalFactory)
    kind = NetworkRoleKind.REMOTE_DOCTOR


# --- accounts --------------------------------------------------------------------------------------
class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "motdepasse-test-1")


def user_with_role(role: str, **scope: object) -> User:
    user = UserFactory()
    user.save()
    RoleGrant.objects.create(user=user, role=role, **scope)
    return user
