from django.urls import path

from . import (
    views,
    views_actions,
    views_assessments,
    views_charter,
    views_documents,
    views_hub,
    views_labels,
    views_maturity,
)

app_name = "quality"
urlpatterns = [
    path("", views_hub.hub, name="hub"),
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

urlpatterns += [
    path("evaluations/", views_assessments.assessment_list, name="assessments"),
    path("evaluations/nouvelle/", views_assessments.assessment_new, name="assessment_new"),
    path("evaluations/<int:assessment_id>/", views_assessments.assessment_detail, name="assessment"),
    path("evaluations/<int:assessment_id>/reponse/", views_assessments.answer, name="answer"),
    path("evaluations/<int:assessment_id>/soumettre/", views_assessments.assessment_submit_view,
         name="assessment_submit"),
    path("evaluations/<int:assessment_id>/avis/", views_assessments.review, name="review"),
    path("evaluations/<int:assessment_id>/renvoyer/", views_assessments.assessment_decision,
         {"decision": "renvoyer"}, name="assessment_return"),
    path("evaluations/<int:assessment_id>/clore/", views_assessments.assessment_decision,
         {"decision": "clore"}, name="assessment_close"),
    path("preuves/<int:evidence_id>/", views_assessments.evidence_download, name="evidence"),
    path("preuves/<int:evidence_id>/retirer/", views_assessments.evidence_delete, name="evidence_delete"),
]  # fmt: skip

urlpatterns += [
    path("actions/", views_actions.action_list, name="actions"),
    path("actions/<int:action_id>/", views_actions.action_edit, name="action_edit"),
    path("actions/<int:action_id>/etat/", views_actions.action_status, name="action_status"),
    path("sites/<int:site_id>/plan/", views_actions.site_plan, name="site_plan"),
    path("sites/<int:site_id>/plan/ajouter/", views_actions.action_new, name="action_new"),
    path("sites/<int:site_id>/panneau/", views_actions.site_panel, name="site_panel"),
]

urlpatterns += [
    path("labels/", views_labels.label_list, name="labels"),
    path("labels/<int:label_id>/", views_labels.label_detail, name="label"),
    path("labels/<int:label_id>/decision/", views_labels.label_decision, name="label_decision"),
    path("evaluations/<int:assessment_id>/label/", views_labels.label_request_view, name="label_request"),
]

urlpatterns += [
    path("charte/", views_charter.charter, name="charter"),
    path("charte/signer/", views_charter.charter_sign_view, name="charter_sign"),
    path("charte/versions/", views_charter.charter_versions, name="charter_versions"),
    path("charte/versions/nouvelle/", views_charter.charter_new, name="charter_new"),
    path("charte/versions/<int:charter_id>/", views_charter.charter_version, name="charter_version"),
    path("charte/versions/<int:charter_id>/modifier/", views_charter.charter_edit, name="charter_edit"),
    path(
        "charte/versions/<int:charter_id>/publier/",
        views_charter.charter_publish_view,
        name="charter_publish",
    ),
]

urlpatterns += [
    path("maturite/", views_maturity.maturity, name="maturity"),
    path("maturite/sites.csv", views_maturity.maturity_csv, name="maturity_csv"),
    path("maturite/ecarts.csv", views_maturity.maturity_gaps_csv, name="maturity_gaps_csv"),
]

urlpatterns += [
    path("evaluations/<int:assessment_id>/rapport.pdf", views_documents.assessment_report_pdf,
         name="assessment_report_pdf"),
    path("labels/<int:label_id>/certificat.pdf", views_documents.label_certificate_pdf, name="label_certificate_pdf"),
    path("verifier/", views_documents.verify, name="verify"),
]  # fmt: skip
