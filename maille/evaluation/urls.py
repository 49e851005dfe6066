from django.urls import path

from . import views, views_indicators, views_surveys

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
    path("tarifs/", views.tariffs, name="tariffs"),
    path("imports/", views.imports, name="imports"),
]
