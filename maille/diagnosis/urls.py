from django.urls import path

from . import views

app_name = "diagnosis"
urlpatterns = [
    path("carte/", views.territory_map, name="map"),
    path("diagnostic/", views.diagnosis_page, name="diagnosis"),
    path("diagnostic/chiffres/", views.diagnosis_figures, name="figures"),
    path("diagnostic/communes.csv", views.diagnosis_csv, name="csv"),
    path("diagnostic/communes.geojson", views.diagnosis_geojson, name="geojson"),
]
