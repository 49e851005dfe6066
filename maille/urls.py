from django.contrib import admin
from django.urls import include, path

from maille.accounts.views import home
from maille.api.urls import api, fhir_urlpatterns

handler400 = "maille.core.views.bad_request"
handler403 = "maille.core.views.permission_denied"
handler404 = "maille.core.views.page_not_found"
handler500 = "maille.core.views.server_error"

admin.site.site_header = "Maille — administration"
admin.site.site_title = "Maille"

urlpatterns = [
    path("", home, name="home"),
    path("", include("maille.core.urls")),
    path("comptes/", include("maille.accounts.urls")),
    path("territoire/", include("maille.territory.urls")),
    path("territoire/", include("maille.diagnosis.urls")),
    path("qualite/", include("maille.quality.urls")),
    path("evaluation/", include("maille.evaluation.urls")),
    path("annuaire/", include("maille.directory.urls")),
    path("agendas/", include("maille.scheduling.urls")),
    path("messages/", include("maille.notifications.urls")),
    path("rdv/", include("maille.public.urls")),
    path("avis/", include("maille.evaluation.survey_urls")),
    path("api/v1/", api.urls),
    path("fhir/", include((fhir_urlpatterns, "fhir"))),
    path("admin/", admin.site.urls),
]
