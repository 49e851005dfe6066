from __future__ import annotations

import numpy as np
import pytest

from maille.diagnosis.territory_inputs import (
    TerritoryInputError,
    distance_decay,
    load_territory,
    study_area_codes,
)
from maille.territory.models import AplParameter, Commune
from tests.factories import CommuneFactory

from .conftest import save_drees_bands


def test_load_territory_gives_aligned_arrays_and_the_study_area(small_territory):
    inputs = load_territory(departements=["55"])
    assert inputs.codes == ["55001", "55002", "55003", "88001"]
    assert inputs.in_study_area.tolist() == [True, True, True, False]
    assert inputs.standardised_population.tolist() == [520.0, 300.0, 1000.0, 200.0]
    assert inputs.apl[:3].tolist() == [2.0, 1.2, 3.0]
    assert np.isnan(inputs.apl[3])
    assert inputs.apl_year == 2023
    assert inputs.site_ids == [small_territory["site"].pk]
    assert inputs.site_communes == ["55001"]
    assert inputs.most_populous(2).tolist() == [2, 0]  # C (1,000) then A (500), the Vosges left out


def test_communes_without_coordinates_are_listed_not_silently_dropped(small_territory):
    CommuneFactory(code="55999", latitude=None, longitude=None)
    Commune.objects.filter(code="55002").update(population_standardised=None)
    inputs = load_territory()
    assert "55999" not in inputs.codes
    assert inputs.skipped_communes == ["55999"]
    assert inputs.missing_standardised == ["55002"]
    assert inputs.standardised_population[1] == 300.0  # the municipal population stands in


def test_region_and_departement_filters_are_checked(small_territory):
    assert study_area_codes(departements=None, region="44") == {"55", "88"}
    assert study_area_codes(departements=None, region=None) is None
    with pytest.raises(TerritoryInputError, match="Département inconnu : 99, 2C"):
        load_territory(departements=["99", "2C"])
    with pytest.raises(TerritoryInputError, match="Région inconnue : 99"):
        load_territory(region="99")


@pytest.mark.django_db
def test_nothing_loaded_is_a_clear_error():
    with pytest.raises(TerritoryInputError, match="Aucune commune n'est chargée"):
        load_territory()


@pytest.mark.django_db
def test_distance_decay_uses_the_year_of_the_apl_loaded():
    save_drees_bands(2022)
    AplParameter.objects.create(
        year=2023,
        table=AplParameter.Table.DISTANCE,
        rank=1,
        label="Moins de 12 minutes",
        value=1.0,
        upper_bound=12,
    )
    AplParameter.objects.create(
        year=2023, table=AplParameter.Table.DISTANCE, rank=2, label="Plus de 12 minutes", value=0.0
    )
    assert distance_decay(2022).upper_minutes == (10.0, 15.0, 20.0)
    assert distance_decay(2023).upper_minutes == (12.0,)
    assert distance_decay(None).upper_minutes == (12.0,)  # the latest year


@pytest.mark.django_db
def test_missing_distance_parameters_are_a_clear_error():
    with pytest.raises(TerritoryInputError, match="Aucun paramètre APL"):
        distance_decay(2023)


def test_real_extract_reads_the_drees_parameters(real_extract):
    inputs = load_territory(departements=["55"])
    decay = distance_decay(inputs.apl_year)
    assert decay.upper_minutes == (10.0, 15.0, 20.0)
    assert decay.weights == pytest.approx((1.0, 2 / 3, 1 / 3), abs=1e-3)
    assert inputs.in_study_area.sum() == sum(code.startswith("55") for code in inputs.codes) > 0
    assert inputs.skipped_communes == []
