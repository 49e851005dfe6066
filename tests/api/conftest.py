from __future__ import annotations

import pytest

from maille.directory.models import EquipmentType, NetworkRoleKind, OpeningHours, SiteUse, Use
from tests.api.world import World, build_world
from tests.factories import (
    CommuneFactory,
    NetworkRoleFactory,
    OrganisationFactory,
    ProfessionalFactory,
    RoomFactory,
    SiteFactory,
)


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture
def crowded(world):
    """About 200 more of everything in Meuse, each with its relations."""
    video = EquipmentType.objects.get(code="video")
    use = Use.objects.get(code="tlc-mg")
    for index in range(200):
        commune = CommuneFactory(code=f"55{index + 1:03d}", departement=world.meuse)
        site = SiteFactory(host_organisation=OrganisationFactory(commune=commune))
        RoomFactory(site=site).equipment.add(video)
        OpeningHours.objects.create(site=site, weekday=index % 7, opens="09:00", closes="12:00")
        SiteUse.objects.create(site=site, use=use)
        role = NetworkRoleFactory(professional=ProfessionalFactory(), kind=NetworkRoleKind.REMOTE_DOCTOR)
        role.sites.add(site)
    return world
