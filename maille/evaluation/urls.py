from django.urls import path

from . import views

app_name = "evaluation"
urlpatterns = [
    path("", views.hub, name="hub"),
    path("activite/", views.activity, name="activity"),
    path("activite.csv", views.activity_csv, name="activity_csv"),
    path("tarifs/", views.tariffs, name="tariffs"),
    path("imports/", views.imports, name="imports"),
]
