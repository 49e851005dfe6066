"""The index of the per-app factories (``tests/<app>/factories.py``), for tests that mix apps."""

from __future__ import annotations

from tests.accounts.factories import UserFactory, user_with_role
from tests.directory.factories import (
    NetworkRoleFactory,
    OrganisationFactory,
    ProfessionalFactory,
    RoomFactory,
    SiteFactory,
)
from tests.territory.factories import (
    CommuneFactory,
    CptsFactory,
    DepartementFactory,
    EpciFactory,
    RegionFactory,
)

__all__ = [
    "CommuneFactory",
    "CptsFactory",
    "DepartementFactory",
    "EpciFactory",
    "NetworkRoleFactory",
    "OrganisationFactory",
    "ProfessionalFactory",
    "RegionFactory",
    "RoomFactory",
    "SiteFactory",
    "UserFactory",
    "user_with_role",
]
