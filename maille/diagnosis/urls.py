from django.urls import path

from . import scenario_views, views

app_name = "diagnosis"
urlpatterns = [
    path("carte/", views.territory_map, name="map"),
    path("diagnostic/", views.diagnosis_page, name="diagnosis"),
    path("diagnostic/chiffres/", views.diagnosis_figures, name="figures"),
    path("diagnostic/communes.csv", views.diagnosis_csv, name="csv"),
    path("diagnostic/communes.geojson", views.diagnosis_geojson, name="geojson"),
    path("diagnostic/valeurs.json", views.diagnosis_values, name="values"),
    path("scenarios/", scenario_views.scenario_list, name="scenario_list"),
    path("scenarios/nouveau/", scenario_views.scenario_create_view, name="scenario_create"),
    path("scenarios/comparer/", scenario_views.scenario_compare, name="scenario_compare"),
    path("scenarios/rapport/", scenario_views.scenario_report, name="scenario_report"),
    path("scenarios/rapport.pdf", scenario_views.scenario_report_pdf, name="scenario_report_pdf"),
    path("scenarios/<int:scenario_id>/", scenario_views.scenario_detail, name="scenario_detail"),
    path(
        "scenarios/<int:scenario_id>/supprimer/", scenario_views.scenario_delete_view, name="scenario_delete"
    ),
    path("offre-de-soins/", scenario_views.supply_list, name="supply_list"),
    path("offre-de-soins/<int:supply_id>/", scenario_views.supply_detail, name="supply_detail"),
    path("offre-de-soins/<int:supply_id>/supprimer/", scenario_views.supply_delete, name="supply_delete"),
    path("optimisation/", scenario_views.optimise, name="optimise"),
    path("optimisation/<int:run_id>/", scenario_views.optimisation, name="optimisation"),
    path("optimisation/<int:run_id>/etat/", scenario_views.optimisation_state, name="optimisation_state"),
    path(
        "optimisation/<int:run_id>/annuler/", scenario_views.optimisation_cancel, name="optimisation_cancel"
    ),
    path(
        "optimisation/<int:run_id>/enregistrer/", scenario_views.optimisation_save, name="optimisation_save"
    ),
]
