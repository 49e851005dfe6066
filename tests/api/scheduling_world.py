"""A small bookable network for the scheduling API and FHIR tests, in real time (slots from now on)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from maille.accounts.models import Role
from tests.factories import RoomFactory, user_with_role
from tests.patients.factories import PatientFactory
from tests.scheduling.factories import Network, make_network, make_use, weekly


@dataclass
class Booking:
    net: Network
    far: Network
    admin: Any
    operator: Any  # phone operator of département 55
    outsider: Any  # site staff of the far site (département 88)
    evaluator: Any
    patient: Any


def build_booking_world() -> Booking:
    use = make_use("tlc-test", duration=20, notice=60, horizon=56, step=10)
    # Every day, all day: whatever the hour the tests run, slots exist in the next days.
    net = make_network(use=use, departement="55", starts="07:00", ends="20:00", commune_code="55502")
    weekly(room=net.room, weekdays=(5, 6), starts="07:00", ends="20:00")
    weekly(professional=net.nurse, site=net.site, weekdays=(5, 6), starts="07:00", ends="20:00")
    weekly(professional=net.doctor, weekdays=(5, 6), starts="07:00", ends="20:00")
    far = make_network(use=use, departement="88", latitude=48.2, longitude=6.4, starts="07:00", ends="20:00")
    weekly(room=far.room, weekdays=(5, 6), starts="07:00", ends="20:00")
    weekly(professional=far.nurse, site=far.site, weekdays=(5, 6), starts="07:00", ends="20:00")
    weekly(professional=far.doctor, weekdays=(5, 6), starts="07:00", ends="20:00")
    return Booking(
        net=net,
        far=far,
        admin=user_with_role(Role.PLATFORM_ADMIN),
        operator=user_with_role(Role.OPERATOR, departement=net.site.commune.departement),
        outsider=user_with_role(Role.SITE_STAFF, site=far.site),
        evaluator=user_with_role(Role.EVALUATOR),
        patient=PatientFactory(),
    )


def bare_room(network: Network) -> Any:
    """A second room without the use's equipment."""
    return RoomFactory(site=network.site, name="Salle sans équipement")
