from django.urls import path

from . import views, views_indicators

app_name = "evaluation"
urlpatterns = [
    path("", views.hub, name="hub"),
    path("activite/", views.activity, name="activity"),
    path("activite.csv", views.activity_csv, name="activity_csv"),
    path("indicateurs/", views_indicators.indicators, name="indicators"),
    path("indicateurs.csv", views_indicators.indicators_csv, name="indicators_csv"),
    path("indicateurs.xlsx", views_indicators.indicators_xlsx, name="indicators_xlsx"),
    path("donnees-ouvertes.csv", views_indicators.open_data_csv, name="open_data_csv"),
    path("tarifs/", views.tariffs, name="tariffs"),
    path("imports/", views.imports, name="imports"),
]
