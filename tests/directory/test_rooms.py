import pytest

from maille.directory.models import EquipmentType, Room, Use
from tests.factories import RoomFactory

pytestmark = pytest.mark.django_db


def test_equipped_for_keeps_rooms_holding_every_required_piece():
    use = Use.objects.get(code="tlc-dermato")  # video + dermatoscope (reference catalogue)
    complete = RoomFactory()
    complete.equipment.set(EquipmentType.objects.filter(code__in=["video", "dermatoscope", "ecg"]))
    partial = RoomFactory(site=complete.site)
    partial.equipment.set(EquipmentType.objects.filter(code__in=["video"]))
    RoomFactory(site=complete.site)  # nothing
    assert list(Room.objects.equipped_for(use)) == [complete]


def test_a_use_requiring_nothing_accepts_every_room():
    use = Use.objects.get(code="tlc-dermato")
    use.required_equipment.clear()
    rooms = [RoomFactory(), RoomFactory()]
    assert set(Room.objects.equipped_for(use)) == set(rooms)
