from django.urls import path

from . import views

app_name = "diagnosis"
urlpatterns = [
    path("carte/", views.territory_map, name="map"),
]
