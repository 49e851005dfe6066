from django.urls import path

from . import views

app_name = "public"
urlpatterns = [
    path("", views.start, name="start"),
    path("creneaux/", views.slots, name="slots"),
    path("option/", views.hold, name="hold"),
    path("demande/<uuid:token>/", views.identity, name="identity"),
    path("demande/<uuid:token>/code/", views.code, name="code"),
    path("gerer/<str:token>/", views.manage, name="manage"),
    path("gerer/<str:token>/deplacer/", views.move, name="move"),
    path("offre/<str:token>/", views.offer, name="offer"),
]
