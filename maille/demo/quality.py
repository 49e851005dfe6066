"""The demo's quality history: self-assessments of the network's sites in every state, with evidence files
(fictional PDFs and photos made here), reviewed by the Meuse coordinator or the evaluator.

- Stenay, the Pharmacie des Forges and the Pharmacie des Côtes: closed, every mandatory criterion met, each
  labelled (the Côtes' label then suspended: works make the room's step-free access fail);
- the Pharmacie de la Citadelle: closed with gaps (two mandatory criteria not met);
- Étain: submitted, waiting for its review; Fresnes-en-Woëvre: returned to the site with a challenge;
- Souilly (the demo site account's): in progress, half answered, to resume;
- action plans from the closed ones' gaps, owned by the Meuse coordinator: two late, one in progress, one done.
"""

from __future__ import annotations

import datetime
import io
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from maille.directory.models import Site
from maille.quality.actions import action_create, action_set_status
from maille.quality.assessments import (
    answer_review,
    answer_save,
    applicable_criteria,
    assessment_close,
    assessment_return,
    assessment_start,
    assessment_submit,
)
from maille.quality.charter import charter_sign
from maille.quality.labels import label_decide, label_request
from maille.quality.models import Action, Assessment, Evidence, LabelStatus

from .network import FICTIONAL

# site name → (final state, criteria codes answered "not met", codes answered "partly met")
PLAN: list[tuple[str, str, list[str], list[str]]] = [
    ("MSP 2.0 de Stenay", "closed", [], ["ACC-02"]),
    ("Pharmacie des Forges", "closed", [], ["EQP-04", "PERS-03"]),
    ("Pharmacie des Côtes", "closed", [], []),
    ("Pharmacie de la Citadelle", "closed", ["ACTE-03", "TRACE-02"], ["LIEU-04"]),
    ("MSP 2.0 du Pays d'Étain", "submitted", [], ["GOUV-03"]),
    ("Point santé de la mairie de Fresnes-en-Woëvre", "returned", [], ["LIEU-03"]),
    ("Maison de santé de territoire de Souilly", "in_progress", [], []),
]


SIGNATORIES = {"Maison de santé de territoire de Souilly": "Sacha Exemple (fictif)"}


def demo_pdf(title: str) -> bytes:
    """A one-page PDF with one line of text (written by hand: no font or layout engine needed)."""
    text = (
        title.encode("latin-1", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    )
    stream = b"BT /F1 14 Tf 60 780 Td (" + text + b") Tj 0 -24 Td (Document fictif de demonstration) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def demo_photo(label: str) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 420), (226, 232, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 60, 600, 360), outline=(71, 85, 105), width=6)
    draw.text((60, 80), f"Photo fictive : {label}", fill=(30, 41, 59))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def _upload(criterion: Any) -> tuple[str, bytes] | None:
    if criterion.evidence == Evidence.DOCUMENT:
        return (f"{criterion.code.lower()}-preuve.pdf", demo_pdf(f"{criterion.code} - piece justificative"))
    if criterion.evidence == Evidence.PHOTO:
        return (f"{criterion.code.lower()}-photo.jpg", demo_photo(criterion.code))
    return None


def _answer_all(
    assessment: Assessment, user: Any, not_met: list[str], partial: list[str], share: float = 1.0
) -> None:
    criteria = applicable_criteria(assessment)
    for criterion in criteria[: round(len(criteria) * share)]:
        compliance = (
            "not_met" if criterion.code in not_met else "partial" if criterion.code in partial else "met"
        )
        answer_save(
            user,
            assessment=assessment,
            criterion_id=criterion.pk,
            compliance=compliance,
            figure={"ACTE-02": "94", "GOUV-01": "2", "GOUV-03": "78", "EQP-04": "12"}.get(criterion.code, "")
            if criterion.evidence == Evidence.FIGURE
            else "",
            comment="" if compliance == "met" else "Mise en conformité prévue.",
            upload=_upload(criterion) if compliance != "not_met" else None,
        )


def load_demo_quality() -> dict[str, int]:
    """Idempotent: nothing is added when a demo site already has an assessment."""
    sites = {
        site.name.removesuffix(FICTIONAL): site
        for site in Site.objects.filter(name__in=[row[0] + FICTIONAL for row in PLAN])
    }
    if Assessment.objects.filter(site__in=sites.values()).exists() or len(sites) < len(PLAN):
        return {"assessments": 0, "actions": 0, "labels": 0}
    users = get_user_model().objects.in_bulk(
        ["admin", "site-souilly", "coordination55", "evaluation"], field_name="username"
    )
    coordinator, evaluator = users["coordination55"], users["evaluation"]
    with transaction.atomic():
        # Each of these sites has signed the charter in force (criterion ORG-04); the network's other sites
        # have not yet.
        for name, *_plan in PLAN:
            charter_sign(users["site-souilly"] if "Souilly" in name else users["admin"], site=sites[name],
                         signatory_name=SIGNATORIES.get(name, "Référent du site (fictif)"),
                         signatory_role="référent du site")  # fmt: skip
        _load_demo_history(sites, users["admin"], coordinator)
        for name, state, not_met, partial in PLAN:
            site = sites[name]
            # The demo's site account fills in Souilly's; the others are filled by the administrator acting
            # for the site (the demo has one site account).
            filler = users["site-souilly"] if "Souilly" in name else users["admin"]
            assessment = assessment_start(filler, site=site)
            if state == "in_progress":
                _answer_all(assessment, filler, not_met, partial, share=0.5)
                continue
            _answer_all(assessment, filler, not_met, partial)
            assessment_submit(filler, assessment=assessment)
            if state == "submitted":
                continue
            reviewer = evaluator if name.startswith("Pharmacie") else coordinator
            for criterion in applicable_criteria(assessment):
                challenged = state == "returned" and criterion.code == "LIEU-03"
                answer_review(
                    reviewer,
                    assessment=assessment,
                    criterion_id=criterion.pk,
                    verdict="challenged" if challenged else "accepted",
                    comment="L'accès de plain-pied n'est pas démontré : joindre une photo de l'entrée."
                    if challenged
                    else "",
                )
            if state == "returned":
                assessment_return(reviewer, assessment=assessment, summary="Une réponse à compléter.")
            else:
                assessment_close(reviewer, assessment=assessment, summary="Relecture faite sur pièces.")
        actions = _load_demo_actions(sites, coordinator)
        labels = _load_demo_labels(sites, users["admin"], coordinator)
    return {"assessments": len(PLAN) + len(HISTORY), "actions": actions, "labels": labels}


# Earlier closed assessments (months ago, criteria not met then), so that the dashboard's trend has a past.
HISTORY: list[tuple[str, int, list[str]]] = [
    ("Pharmacie de la Citadelle", 14, ["ACTE-03", "TRACE-02", "LIEU-05", "ORG-04"]),
    ("Pharmacie des Forges", 9, ["ACTE-03", "PERS-02"]),
    ("MSP 2.0 de Stenay", 5, ["ACTE-03"]),
]


def _load_demo_history(sites: dict[str, Site], filler: Any, reviewer: Any) -> None:
    for name, months_ago, not_met in HISTORY:
        assessment = assessment_start(filler, site=sites[name])
        _answer_all(assessment, filler, not_met, [])
        assessment_submit(filler, assessment=assessment)
        for criterion in applicable_criteria(assessment):
            answer_review(reviewer, assessment=assessment, criterion_id=criterion.pk, verdict="accepted")
        assessment_close(reviewer, assessment=assessment, summary="Première auto-évaluation du site.")
        # Dated back as the passing of time would have (demo data only).
        closed_at = timezone.now() - datetime.timedelta(days=30 * months_ago)
        Assessment.objects.filter(pk=assessment.pk).update(created_at=closed_at, submitted_at=closed_at,
                                                           closed_at=closed_at)  # fmt: skip


# site → (decision, reason)
LABELS: list[tuple[str, str, str]] = [
    ("MSP 2.0 de Stenay", "granted", ""),
    ("Pharmacie des Forges", "granted", ""),
    ("Pharmacie des Côtes", "suspended",
     "Salle de téléconsultation en travaux : l'accès de plain-pied n'est plus assuré jusqu'à leur fin."),
]  # fmt: skip


def _load_demo_labels(sites: dict[str, Site], requester: Any, decider: Any) -> int:
    """Two labelled sites and one whose label is suspended, each on its closed assessment."""
    for name, decision, reason in LABELS:
        assessment = (
            Assessment.objects.filter(site=sites[name], status="closed").order_by("-closed_at").first()
        )
        label = label_request(requester, site=sites[name], assessment_id=assessment.pk)
        label = label_decide(decider, label=label, status=LabelStatus.UNDER_REVIEW)
        label = label_decide(decider, label=label, status=LabelStatus.GRANTED)
        if decision == "suspended":
            label_decide(decider, label=label, status=LabelStatus.SUSPENDED, reason=reason)
    return len(LABELS)


# (site, criterion code, action, days from today to its due date, state)
ACTIONS: list[tuple[str, str, str, int, str]] = [
    ("Pharmacie de la Citadelle", "ACTE-03", "Mettre en place l'envoi du compte rendu par messagerie sécurisée", -12,
     "in_progress"),
    ("Pharmacie de la Citadelle", "TRACE-02", "Équiper les médecins téléconsultants de cartes e-CPS", 45, "todo"),
    ("Pharmacie de la Citadelle", "LIEU-04", "Aménager un espace d'attente à l'écart du comptoir", -3, "todo"),
    ("Pharmacie des Forges", "PERS-03", "Former la seconde pharmacienne à l'assistance", -20, "done"),
    ("MSP 2.0 de Stenay", "ACC-02", "Ouvrir la prise de rendez-vous par téléphone", 30, "todo"),
]  # fmt: skip


def _load_demo_actions(sites: dict[str, Site], owner: Any) -> int:
    """Actions from the closed assessments' gaps; some already late (their due date is moved back, as the
    passing of time would have done)."""
    today = timezone.localdate()
    for name, code, title, days, state in ACTIONS:
        site = sites[name]
        assessment = Assessment.objects.filter(site=site, status="closed").order_by("-closed_at").first()
        criterion = assessment.version.criteria.get(code=code) if assessment else None
        action = action_create(
            owner, site=site, title=title, owner_id=owner.pk, due_date=today + datetime.timedelta(days=max(days, 1)),
            criterion_id=criterion.pk if criterion else "", assessment=assessment,
        )  # fmt: skip
        if days < 1:
            Action.objects.filter(pk=action.pk).update(due_date=today + datetime.timedelta(days=days))
        if state != "todo":
            action_set_status(owner, action=action, status=state)
    return len(ACTIONS)
