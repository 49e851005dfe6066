from django.urls import path

from . import views

app_name = "territory"
urlpatterns = [
    path("carte/", views.territory_map, name="map"),
]
