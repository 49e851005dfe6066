"""Directory factories: organisations, sites, rooms, professionals (valid RPPS), network roles, with traits."""

from __future__ import annotations

import itertools

import factory

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
from tests.territory.factories import CommuneFactory

_rpps_bodies = itertools.count(1)


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

    class Params:
        # (Traits set the site's own fields: factory_boy applies a trait's ``sub__field`` even when inactive.)
        msp = factory.Trait(level=SiteLevel.MSP_2_0)
        step_free = factory.Trait(reduced_mobility_access=True)
        fictional = factory.Trait(is_fictional=True)


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

    class Params:
        nurse = factory.Trait(profession=Profession.NURSE)
        pharmacist = factory.Trait(profession=Profession.PHARMACIST)
        fictional = factory.Trait(is_fictional=True)


class NetworkRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NetworkRole
        skip_postgeneration_save = True

    professional = factory.SubFactory(ProfessionalFactory)
    kind = NetworkRoleKind.REMOTE_DOCTOR

    class Params:
        # An assisting nurse (the professional follows), or a coordinator.
        assistant = factory.Trait(
            kind=NetworkRoleKind.ASSISTANT, professional=factory.SubFactory(ProfessionalFactory, nurse=True)
        )
        coordinator = factory.Trait(
            kind=NetworkRoleKind.COORDINATOR, professional=factory.SubFactory(ProfessionalFactory, nurse=True)
        )

    @factory.post_generation
    def sites(self, create: bool, extracted: object, **kwargs: object) -> None:
        """``NetworkRoleFactory(sites=[site, …])`` links the role to those sites."""
        if create and extracted:
            self.sites.add(*extracted)  # type: ignore[attr-defined]
