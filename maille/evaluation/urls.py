from django.urls import path

from . import views, views_committee, views_costs, views_indicators, views_surveys

app_name = "evaluation"
urlpatterns = [
    path("", views.hub, name="hub"),
    path("activite/", views.activity, name="activity"),
    path("activite.csv", views.activity_csv, name="activity_csv"),
    path("indicateurs/", views_indicators.indicators, name="indicators"),
    path("indicateurs.csv", views_indicators.indicators_csv, name="indicators_csv"),
    path("indicateurs.xlsx", views_indicators.indicators_xlsx, name="indicators_xlsx"),
    path("donnees-ouvertes.csv", views_indicators.open_data_csv, name="open_data_csv"),
    path("enquetes/", views_surveys.results, name="survey_results"),
    path("enquetes.csv", views_surveys.results_csv, name="survey_results_csv"),
    path("enquetes.xlsx", views_surveys.results_xlsx, name="survey_results_xlsx"),
    path("enquetes/professionnels/", views_surveys.campaigns, name="survey_campaigns"),
    path("enquetes/sur-place/<int:appointment_id>/", views_surveys.survey_at_site, name="survey_at_site"),
    path("couts/", views_costs.cost_scenarios, name="cost_scenarios"),
    path("couts/nouveau/", views_costs.cost_scenario_new, name="cost_scenario_new"),
    path("couts/comparer/", views_costs.cost_compare, name="cost_compare"),
    path("couts/<int:cost_scenario_id>/", views_costs.cost_scenario, name="cost_scenario"),
    path("couts/<int:cost_scenario_id>/modifier/", views_costs.cost_scenario_edit, name="cost_scenario_edit"),
    path(
        "couts/<int:cost_scenario_id>/supprimer/",
        views_costs.cost_scenario_remove,
        name="cost_scenario_remove",
    ),
    path(
        "couts/<int:cost_scenario_id>/classeur.xlsx",
        views_costs.cost_scenario_xlsx,
        name="cost_scenario_xlsx",
    ),
    path("comite/", views_committee.committee, name="committee"),
    path("comite.pdf", views_committee.committee_pdf, name="committee_pdf"),
    path("comite.xlsx", views_committee.committee_xlsx, name="committee_xlsx"),
    path("tarifs/", views.tariffs, name="tariffs"),
    path("imports/", views.imports, name="imports"),
]
