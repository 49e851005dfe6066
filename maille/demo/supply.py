"""The demo's supply of general practitioners: a fictional file in the RPPS-like format of the diagnosis's supply
import (one row per GP and place of practice), one GP per 1,500 inhabitants in the communes of 1,500 inhabitants
or more of the network's départements, loaded through the real import. It gives the kilometres-avoided indicator
its "nearest GP" (the real RPPS extraction is not open data shipped with Maille)."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from maille.diagnosis.models import SupplyImport
from maille.diagnosis.supply import supply_import_create
from maille.territory.models import Commune

NAME = "Offre de soins de démonstration (fictive)"
DEPARTEMENTS = ("52", "54", "55")
INHABITANTS_PER_GP = 1500
TOWN_POPULATION = 2500
ACTS_A_YEAR = 4500


def load_demo_supply() -> int:
    """Once per database; the number of fictional GPs loaded."""
    if SupplyImport.objects.filter(name=NAME).exists():
        return 0
    admin = get_user_model().objects.filter(is_demo=True, username="admin").first()
    if admin is None:
        return 0
    lines = ["code_commune;activite_actes"]
    towns = Commune.objects.filter(departement_id__in=DEPARTEMENTS, population__gte=TOWN_POPULATION)
    for code, population in towns.order_by("code").values_list("code", "population"):
        lines += [f"{code};{ACTS_A_YEAR}"] * max(1, population // INHABITANTS_PER_GP)
    if len(lines) == 1:
        return 0
    supply = supply_import_create(admin, name=NAME, data=("\n".join(lines) + "\n").encode(),
                                  file_name="offre-demo.csv", exclude_65_and_over=False)  # fmt: skip
    return supply.practitioners
