"""Territory factories: régions, départements, EPCI, communes, CPTS (get-or-create on natural codes)."""

from __future__ import annotations

import factory

from maille.territory.models import Commune, Cpts, Departement, Epci, Region


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

    class Params:
        # A commune under the DREES threshold of under-supply (APL < 2.5), or without any published APL.
        under_served = factory.Trait(apl_gp=1.2)
        without_apl = factory.Trait(apl_gp=None, apl_year=None)


class CptsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cpts

    name = factory.Sequence(lambda n: f"CPTS test {n}")
    departement = factory.SubFactory(DepartementFactory)
