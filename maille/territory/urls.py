from django.urls import path

from . import views

app_name = "territory"
urlpatterns = [
    path(
        "departements/<str:code>/communes.geojson",
        views.departement_geojson,
        name="departement_geojson",
    ),
]
