from django.urls import path

from . import views

app_name = "quality"
urlpatterns = [
    path("referentiel/", views.referential, name="referential"),
    path("referentiel/versions/", views.version_list, name="versions"),
    path("referentiel/versions/nouvelle/", views.version_draft, name="version_draft"),
    path("referentiel/versions/<int:version_id>/", views.version_detail, name="version"),
    path("referentiel/versions/<int:version_id>/soumettre/", views.version_action, {"action": "soumettre"},
         name="version_submit"),
    path("referentiel/versions/<int:version_id>/renvoyer/", views.version_action, {"action": "renvoyer"},
         name="version_return"),
    path("referentiel/versions/<int:version_id>/publier/", views.version_action, {"action": "publier"},
         name="version_publish"),
    path("referentiel/criteres/<int:criterion_id>/", views.criterion_edit, name="criterion_edit"),
    path("referentiel/criteres/<int:criterion_id>/retirer/", views.criterion_remove, name="criterion_remove"),
    path("referentiel/sections/<int:section_id>/ajouter/", views.criterion_new, name="criterion_new"),
]  # fmt: skip
