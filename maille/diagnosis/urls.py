from django.urls import path

from . import views, views_optimiser, views_scenarios, views_supply

app_name = "diagnosis"
urlpatterns = [
    path("carte/", views.territory_map, name="map"),
    path("diagnostic/", views.diagnosis_page, name="diagnosis"),
    path("diagnostic/chiffres/", views.diagnosis_figures, name="figures"),
    path("diagnostic/communes.csv", views.diagnosis_csv, name="csv"),
    path("diagnostic/communes.geojson", views.diagnosis_geojson, name="geojson"),
    path("diagnostic/valeurs.json", views.diagnosis_values, name="values"),
    path("scenarios/", views_scenarios.scenario_list, name="scenario_list"),
    path("scenarios/nouveau/", views_scenarios.scenario_create_view, name="scenario_create"),
    path("scenarios/comparer/", views_scenarios.scenario_compare, name="scenario_compare"),
    path("scenarios/rapport/", views_scenarios.scenario_report, name="scenario_report"),
    path("scenarios/rapport.pdf", views_scenarios.scenario_report_pdf, name="scenario_report_pdf"),
    path("scenarios/<int:scenario_id>/", views_scenarios.scenario_detail, name="scenario_detail"),
    path(
        "scenarios/<int:scenario_id>/supprimer/", views_scenarios.scenario_delete_view, name="scenario_delete"
    ),
    path("offre-de-soins/", views_supply.supply_list, name="supply_list"),
    path("offre-de-soins/<int:supply_id>/", views_supply.supply_detail, name="supply_detail"),
    path("offre-de-soins/<int:supply_id>/supprimer/", views_supply.supply_delete, name="supply_delete"),
    path("optimisation/", views_optimiser.optimise, name="optimise"),
    path("optimisation/<int:run_id>/", views_optimiser.optimisation, name="optimisation"),
    path("optimisation/<int:run_id>/etat/", views_optimiser.optimisation_state, name="optimisation_state"),
    path(
        "optimisation/<int:run_id>/annuler/", views_optimiser.optimisation_cancel, name="optimisation_cancel"
    ),
    path(
        "optimisation/<int:run_id>/enregistrer/", views_optimiser.optimisation_save, name="optimisation_save"
    ),
]
