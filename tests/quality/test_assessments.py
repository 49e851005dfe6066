"""Self-assessments: scoring, evidence safety, the lifecycle and its rules (own site, other versions), and
the pages (site staff see only their sites; a refused answer keeps what was typed)."""

from __future__ import annotations

from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from maille.accounts.models import Role
from maille.core.errors import ConflictError, DomainError
from maille.core.models import AuditEvent
from maille.quality import evidence as evidence_files
from maille.quality.assessments import (
    answer_review,
    answer_save,
    applicable_criteria,
    assessment_close,
    assessment_return,
    assessment_scores,
    assessment_start,
    assessment_submit,
    evidence_remove,
    parse_figure,
)
from maille.quality.models import Assessment, AssessmentStatus, Evidence, EvidenceFile, Verdict
from maille.quality.scoring import AnswerState, CriterionRow, score
from maille.quality.services import (
    criterion_update,
    published_version,
    referential_draft,
    referential_publish,
    referential_submit,
)
from tests.factories import SiteFactory, user_with_role
from tests.quality.helpers import sign_charter
from tests.quality.samples import (
    encrypted_pdf,
    image_bytes,
    jpeg_bytes,
    pdf_bytes,
    pdf_with_script,
    png_bytes,
)

# --- Scoring (pure) ------------------------------------------------------------------------------------------


def _row(pk: int, section: str = "A", mandatory: bool = True) -> CriterionRow:
    return CriterionRow(pk, f"{section}-{pk}", f"critère {pk}", mandatory, section, f"Section {section}")


def test_points_per_answer_and_sections():
    criteria = [_row(1, "A"), _row(2, "A", mandatory=False), _row(3, "B"), _row(4, "B", mandatory=False)]
    answers = {1: AnswerState("met"), 2: AnswerState("partial"), 3: AnswerState("not_met")}
    result = score(criteria, answers)
    assert [s.percent for s in result.sections] == [Decimal("75.0"), Decimal("0.0")]
    assert result.percent == Decimal("37.5")
    assert (result.mandatory, result.mandatory_met, result.every_mandatory_met) == (2, 1, False)
    assert (result.criteria, result.answered) == (4, 3)
    # gaps: mandatory first (3), then the others in the referential's order (2 partial, 4 unanswered)
    assert [(g.criterion.criterion_id, g.state) for g in result.gaps] == [
        (3, "not_met"),
        (2, "partial"),
        (4, "unanswered"),
    ]


def test_a_challenge_left_standing_counts_as_not_met_once_closed():
    criteria = [_row(1), _row(2)]
    answers = {1: AnswerState("met", "challenged"), 2: AnswerState("met", "accepted")}
    assert score(criteria, answers).percent == Decimal("100.0")
    closed = score(criteria, answers, closed=True)
    assert closed.percent == Decimal("50.0")
    assert [(g.criterion.criterion_id, g.state) for g in closed.gaps] == [(1, "challenged")]
    assert not closed.every_mandatory_met


def test_no_criteria_means_no_score_rather_than_zero():
    assert score([], {}).percent is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("12", Decimal("12.00")), ("12,5", Decimal("12.50")), ("1 200", Decimal("1200.00")), ("", None)],
)
def test_figures_are_typed_the_french_way(typed, expected):
    assert parse_figure(typed) == expected


@pytest.mark.parametrize("typed", ["douze", "1e400", "NaN", "Infinity", "99999999999"])
def test_a_figure_that_is_not_a_number_names_its_field(typed):
    with pytest.raises(DomainError) as refused:
        parse_figure(typed)
    assert refused.value.details == {"field": "chiffre"}


# --- Evidence files (real files, really parsed) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [("protocole.pdf", pdf_bytes(), "application/pdf"), ("salle.PNG", png_bytes(), "image/png"),
     ("salle.jpeg", jpeg_bytes(), "image/jpeg")],
)  # fmt: skip
def test_pdf_png_and_jpeg_are_accepted(name, data, content_type):
    checked = evidence_files.check_upload(name, data)
    assert (checked.name, checked.content_type, len(checked.sha256)) == (name, content_type, 64)


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("vide.pdf", b"", "empty_file"),
        ("page.html", b"<html><script>alert(1)</script></html>", "forbidden_type"),
        ("outil.exe", b"MZ\x90\x00\x03", "forbidden_type"),
        ("salle.png", pdf_bytes(), "extension_mismatch"),
        ("protocole.pdf.exe", pdf_bytes(), "extension_mismatch"),
        ("abime.png", png_bytes()[:50], "malformed_file"),
        ("abime.jpg", jpeg_bytes()[:-60], "malformed_file"),
        ("abime.pdf", b"%PDF-1.7\n1 0 obj << garbage", "malformed_file"),
        ("script.pdf", pdf_with_script(), "active_content"),
        ("protege.pdf", encrypted_pdf(), "encrypted_file"),
        ("bombe.png", image_bytes("PNG", (8000, 6000), "1"), "image_too_large"),
    ],
)
def test_bad_files_are_refused_with_a_reason(name, data, code):
    with pytest.raises(DomainError) as refused:
        evidence_files.check_upload(name, data)
    assert refused.value.code == code
    assert refused.value.details == {"field": "fichier"}
    assert Path(name).name.split("/")[-1] in refused.value.message


def test_a_file_over_the_limit_is_refused(settings):
    settings.QUALITY_EVIDENCE_MAX_BYTES = 1000
    with pytest.raises(DomainError) as refused:
        evidence_files.check_upload("gros.pdf", pdf_bytes() + b"\n" * 1000)
    assert refused.value.code == "file_too_large"
    assert "Mo" in refused.value.message


def test_the_stored_name_is_ours_and_never_outside_the_evidence_directory():
    assert evidence_files.clean_file_name("C:\\Users\\x\\photo salle.jpg") == "photo salle.jpg"
    assert evidence_files.clean_file_name("../../etc/passwd.pdf") == "passwd.pdf"
    with pytest.raises(FileNotFoundError):
        evidence_files.stored_path("../maille.sqlite3")
    stored = evidence_files.store(evidence_files.check_upload("../../x.pdf", pdf_bytes()))
    path = evidence_files.stored_path(stored)
    assert path.parent == Path(settings.QUALITY_EVIDENCE_DIR).resolve()
    assert not str(path).startswith(str(Path(settings.STATIC_ROOT).resolve()))
    assert stored.endswith(".pdf")
    assert "x" not in stored.removesuffix(".pdf").strip("0123456789abcdef")


# --- The lifecycle -------------------------------------------------------------------------------------------


@pytest.fixture
def site(db):
    return SiteFactory(
        host_organisation__commune__code="55498", host_organisation__commune__departement__code="55"
    )


@pytest.fixture
def staff(site):
    return user_with_role(Role.SITE_STAFF, site=site)


@pytest.fixture
def reviewer(site):
    return user_with_role(Role.COORDINATOR, departement_id="55")


def fill_in(assessment, user, compliance="met"):
    """Answer every applicable criterion, with a file where one is expected (the site signs the charter)."""
    sign_charter(assessment.site, user)
    for criterion in applicable_criteria(assessment):
        upload = None
        if criterion.evidence == Evidence.DOCUMENT:
            upload = ("preuve.pdf", pdf_bytes())
        elif criterion.evidence == Evidence.PHOTO:
            upload = ("photo.jpg", jpeg_bytes())
        figure = "4" if criterion.evidence == Evidence.FIGURE else ""
        answer_save(user, assessment=assessment, criterion_id=criterion.pk, compliance=compliance,
                    figure=figure, upload=upload)  # fmt: skip


def _criterion(assessment, code):
    return assessment.version.criteria.get(code=code)


@pytest.mark.django_db
def test_a_site_starts_one_assessment_at_a_time_on_the_published_version(site, staff):
    assessment = assessment_start(staff, site=site)
    assert (assessment.version, assessment.status, assessment.site_level) == (
        published_version(),
        AssessmentStatus.IN_PROGRESS,
        site.level,
    )
    with pytest.raises(ConflictError):
        assessment_start(staff, site=site)
    assert AuditEvent.objects.filter(action="assessment.start", target_id=str(assessment.pk)).exists()


@pytest.mark.django_db
def test_only_the_criteria_of_the_site_level_apply(site, staff):
    assessment = assessment_start(staff, site=site)
    codes = {c.code for c in applicable_criteria(assessment)}
    assert "LIEU-04" in codes  # hyper-proximity sites only
    assert "ORG-03" not in codes  # sites with professionals on the premises only
    with pytest.raises(DomainError) as refused:
        answer_save(
            staff, assessment=assessment, criterion_id=_criterion(assessment, "ORG-03").pk, compliance="met"
        )
    assert refused.value.code == "criterion_not_applicable"


@pytest.mark.django_db
def test_an_answer_to_a_criterion_of_another_version_is_refused(site, staff):
    admin = user_with_role(Role.PLATFORM_ADMIN)
    assessment = assessment_start(staff, site=site)
    draft = referential_draft(admin)
    other = draft.criteria.get(code="LIEU-02")
    with pytest.raises(DomainError) as refused:
        answer_save(staff, assessment=assessment, criterion_id=other.pk, compliance="met")
    assert (refused.value.code, refused.value.details) == ("criterion_other_version", {"field": "critere"})
    assert not assessment.answers.exists()


@pytest.mark.django_db
def test_an_assessment_stays_on_its_version_when_a_new_one_is_published(site, staff):
    admin = user_with_role(Role.PLATFORM_ADMIN)
    assessment = assessment_start(staff, site=site)
    draft = referential_draft(admin)
    reworded = draft.criteria.get(code="LIEU-02")
    criterion_update(admin, reworded, {"title": "Reformulé", "requirement": "mandatory", "evidence": "yes_no",
                                       "site_levels": [], "guidance": "g"})  # fmt: skip
    referential_submit(admin, draft)
    referential_publish(admin, draft)
    v1_criterion = _criterion(assessment, "LIEU-02")
    answer_save(staff, assessment=assessment, criterion_id=v1_criterion.pk, compliance="met")
    assert assessment.answers.get().criterion.version.number == 1
    # and the carried-over criterion knows its predecessor, so the answer reads across versions
    assert draft.criteria.get(code="LIEU-02").carried_from == v1_criterion


@pytest.mark.django_db
def test_saving_an_answer_with_evidence_and_resuming(site, staff):
    assessment = assessment_start(staff, site=site)
    criterion = _criterion(assessment, "ORG-01")
    answer = answer_save(staff, assessment=assessment, criterion_id=criterion.pk, compliance="partial",
                         comment="Analyse en cours", upload=("analyse du besoin.pdf", pdf_bytes()))  # fmt: skip
    evidence = answer.evidence_files.get()
    assert (evidence.original_name, evidence.content_type, evidence.uploaded_by) == (
        "analyse du besoin.pdf",
        "application/pdf",
        staff,
    )
    assert evidence_files.stored_path(evidence.stored_name).read_bytes() == pdf_bytes()
    # resumed later: the same answer changes, no second row
    answer_save(staff, assessment=assessment, criterion_id=criterion.pk, compliance="met", comment="Fait")
    assert assessment.answers.get().compliance == "met"
    assert assessment.answers.get().evidence_files.count() == 1
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {
        "assessment.answer",
        "assessment.evidence_add",
    }


@pytest.mark.django_db
def test_a_refused_file_saves_nothing_and_leaves_no_file(site, staff):
    assessment = assessment_start(staff, site=site)
    criterion = _criterion(assessment, "ORG-01")
    with pytest.raises(DomainError):
        answer_save(staff, assessment=assessment, criterion_id=criterion.pk, compliance="met",
                    upload=("analyse.pdf", b"%PDF-1.4 not really"))  # fmt: skip
    assert not assessment.answers.exists()
    assert list(Path(settings.QUALITY_EVIDENCE_DIR).iterdir()) == []


@pytest.mark.django_db
def test_too_many_files_for_one_answer_are_refused_and_the_extra_file_removed(site, staff, settings):
    settings.QUALITY_EVIDENCE_FILES_PER_ANSWER = 2
    assessment = assessment_start(staff, site=site)
    criterion = _criterion(assessment, "ORG-01")
    for _ in range(2):
        answer_save(staff, assessment=assessment, criterion_id=criterion.pk, compliance="met",
                    upload=("a.pdf", pdf_bytes()))  # fmt: skip
    with pytest.raises(DomainError) as refused:
        answer_save(staff, assessment=assessment, criterion_id=criterion.pk, compliance="met",
                    upload=("b.pdf", pdf_bytes()))  # fmt: skip
    assert refused.value.code == "too_many_files"
    assert EvidenceFile.objects.count() == 2
    assert len(list(Path(settings.QUALITY_EVIDENCE_DIR).iterdir())) == 2


@pytest.mark.django_db
def test_a_figure_criterion_needs_its_figure(site, staff):
    assessment = assessment_start(staff, site=site)
    criterion = _criterion(assessment, "ACTE-02")
    with pytest.raises(DomainError) as refused:
        answer_save(staff, assessment=assessment, criterion_id=criterion.pk, compliance="met")
    assert refused.value.details == {"field": "chiffre"}
    answer = answer_save(
        staff, assessment=assessment, criterion_id=criterion.pk, compliance="met", figure="92,5"
    )
    assert answer.figure == Decimal("92.50")


@pytest.mark.django_db
def test_submission_needs_every_answer_and_every_expected_file(site, staff):
    assessment = assessment_start(staff, site=site)
    with pytest.raises(DomainError) as refused:
        assessment_submit(staff, assessment=assessment)
    assert refused.value.code == "unanswered_criteria"
    sign_charter(site, staff)
    for criterion in applicable_criteria(assessment):
        figure = "3" if criterion.evidence == Evidence.FIGURE else ""
        answer_save(staff, assessment=assessment, criterion_id=criterion.pk, compliance="met", figure=figure)
    with pytest.raises(DomainError) as refused:
        assessment_submit(staff, assessment=assessment)
    assert refused.value.code == "evidence_missing"
    assert "ORG-01" in refused.value.message
    assert "LIEU-01" in refused.value.message
    # a criterion not met needs no evidence
    for code in refused.value.details["without_evidence"]:
        answer_save(
            staff, assessment=assessment, criterion_id=_criterion(assessment, code).pk, compliance="not_met"
        )
    assessment = assessment_submit(staff, assessment=assessment)
    assert assessment.status == AssessmentStatus.SUBMITTED
    with pytest.raises(ConflictError):
        answer_save(staff, assessment=assessment, criterion_id=_criterion(assessment, "LIEU-02").pk,
                    compliance="not_met")  # fmt: skip


@pytest.mark.django_db
def test_a_reviewer_may_not_review_their_own_site(site, staff):
    assessment = assessment_start(staff, site=site)
    fill_in(assessment, staff)
    assessment_submit(staff, assessment=assessment)
    criterion = applicable_criteria(assessment)[0]
    # a coordinator who also works at the site
    colleague = user_with_role(Role.COORDINATOR, departement_id="55")
    colleague.role_grants.create(role=Role.SITE_STAFF, site=site)
    for user in (colleague, staff):
        with pytest.raises(DomainError) as refused:
            answer_review(user, assessment=assessment, criterion_id=criterion.pk, verdict="accepted")
        assert refused.value.code == "own_site"
        with pytest.raises(DomainError):
            assessment_close(user, assessment=assessment)


@pytest.mark.django_db
def test_review_challenge_return_amend_and_close(site, staff, reviewer):
    assessment = assessment_start(staff, site=site)
    fill_in(assessment, staff)
    assessment_submit(staff, assessment=assessment)
    criteria = applicable_criteria(assessment)
    challenged = _criterion(assessment, "LIEU-01")
    with pytest.raises(DomainError) as refused:
        answer_review(reviewer, assessment=assessment, criterion_id=challenged.pk, verdict="challenged")
    assert refused.value.details == {"field": "commentaire"}
    answer_review(reviewer, assessment=assessment, criterion_id=challenged.pk, verdict="challenged",
                  comment="La photo ne montre pas l'accès.")  # fmt: skip
    with pytest.raises(DomainError) as refused:
        assessment_close(reviewer, assessment=assessment)
    assert refused.value.code == "answers_to_review"
    assessment = assessment_return(reviewer, assessment=assessment, summary="Une photo à refaire")
    assert assessment.status == AssessmentStatus.RETURNED
    # the site amends the challenged answer: it goes back to "to review"
    answer_save(staff, assessment=assessment, criterion_id=challenged.pk, compliance="partial",
                upload=("acces.png", png_bytes()))  # fmt: skip
    assert assessment.answers.get(criterion=challenged).verdict == Verdict.PENDING
    assessment = assessment_submit(staff, assessment=assessment)
    for criterion in criteria:
        answer_review(reviewer, assessment=assessment, criterion_id=criterion.pk, verdict="accepted")
    assessment = assessment_close(reviewer, assessment=assessment, summary="Bon niveau")
    assert assessment.status == AssessmentStatus.CLOSED
    expected = assessment_scores(assessment)
    assert assessment.score == expected.percent < Decimal(100)
    # LIEU-01 (mandatory) is only partly met: a gap, and not every mandatory criterion is met
    assert assessment.mandatory_met is False
    assert [gap.criterion.code for gap in expected.gaps] == ["LIEU-01"]
    assert set(assessment.section_scores) == {s.code for s in expected.sections}
    with pytest.raises(ConflictError):
        answer_save(staff, assessment=assessment, criterion_id=challenged.pk, compliance="met")


@pytest.mark.django_db
def test_nothing_to_return_when_nothing_is_challenged(site, staff, reviewer):
    assessment = assessment_start(staff, site=site)
    fill_in(assessment, staff)
    assessment_submit(staff, assessment=assessment)
    with pytest.raises(DomainError) as refused:
        assessment_return(reviewer, assessment=assessment)
    assert refused.value.code == "nothing_challenged"


@pytest.mark.django_db
def test_removing_evidence_deletes_the_file_once_committed(site, staff, django_capture_on_commit_callbacks):
    assessment = assessment_start(staff, site=site)
    answer = answer_save(staff, assessment=assessment, criterion_id=_criterion(assessment, "ORG-01").pk,
                         compliance="met", upload=("a.pdf", pdf_bytes()))  # fmt: skip
    evidence = answer.evidence_files.get()
    path = evidence_files.stored_path(evidence.stored_name)
    with django_capture_on_commit_callbacks(execute=True):
        evidence_remove(staff, evidence=evidence)
    assert not path.exists()
    assert not EvidenceFile.objects.exists()


# --- Pages ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_site_staff_see_only_their_sites(client, site, staff):
    other_site = SiteFactory(
        host_organisation__commune__code="52121", host_organisation__commune__departement__code="52"
    )
    other_staff = user_with_role(Role.SITE_STAFF, site=other_site)
    mine = assessment_start(staff, site=site)
    theirs = assessment_start(other_staff, site=other_site)
    answer = answer_save(other_staff, assessment=theirs, criterion_id=_criterion(theirs, "ORG-01").pk,
                         compliance="met", upload=("a.pdf", pdf_bytes()))  # fmt: skip
    client.force_login(staff)
    listing = client.get(reverse("quality:assessments")).content.decode()
    assert site.name in listing
    assert other_site.name not in listing
    assert client.get(reverse("quality:assessment", args=[mine.pk])).status_code == 200
    assert client.get(reverse("quality:assessment", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("quality:evidence", args=[answer.evidence_files.get().pk])).status_code == 404
    response = client.post(reverse("quality:answer", args=[theirs.pk]), {"critere": "1", "reponse": "met"})
    assert response.status_code == 404


@pytest.mark.django_db
def test_filling_an_answer_with_a_file_through_the_page(client, site, staff):
    assessment = assessment_start(staff, site=site)
    criterion = _criterion(assessment, "LIEU-01")
    client.force_login(staff)
    upload = SimpleUploadedFile("salle.jpg", jpeg_bytes(), content_type="image/jpeg")
    response = client.post(reverse("quality:answer", args=[assessment.pk]),
                           {"critere": criterion.pk, "reponse": "met", "commentaire": "Salle fermée", "fichier": upload})  # fmt: skip
    assert response.status_code == 302
    assert response.url.endswith(f"#critere-{criterion.pk}")
    evidence = EvidenceFile.objects.get()
    download = client.get(reverse("quality:evidence", args=[evidence.pk]))
    assert download.status_code == 200
    assert download.content == jpeg_bytes()
    assert download["Content-Type"] == "image/jpeg"
    assert download["Content-Disposition"].startswith("attachment")
    assert "sandbox" in download["Content-Security-Policy"]


@pytest.mark.django_db
def test_a_refused_file_comes_back_with_its_field_error_and_what_was_typed(client, site, staff):
    assessment = assessment_start(staff, site=site)
    criterion = _criterion(assessment, "LIEU-01")
    client.force_login(staff)
    upload = SimpleUploadedFile("salle.jpg", b"<html>pas une photo</html>", content_type="image/jpeg")
    response = client.post(reverse("quality:answer", args=[assessment.pk]),
                           {"critere": criterion.pk, "reponse": "met", "commentaire": "Texte tapé", "fichier": upload})  # fmt: skip
    assert response.status_code == 422
    page = unescape(response.content.decode())
    assert "n'est pas d'un type accepté" in page
    assert "choisissez à nouveau le fichier" in page
    assert "Texte tapé" in page
    assert not assessment.answers.exists()


@pytest.mark.django_db
def test_an_oversized_upload_is_refused_before_it_is_read(client, site, staff, settings):
    settings.QUALITY_EVIDENCE_MAX_BYTES = 2000
    assessment = assessment_start(staff, site=site)
    client.force_login(staff)
    upload = SimpleUploadedFile("gros.pdf", pdf_bytes() + b" " * 5000, content_type="application/pdf")
    response = client.post(reverse("quality:answer", args=[assessment.pk]),
                           {"critere": _criterion(assessment, "ORG-01").pk, "reponse": "met", "fichier": upload})  # fmt: skip
    assert response.status_code == 422
    assert "dépasse" in unescape(response.content.decode())


@pytest.mark.django_db
def test_an_answer_to_another_versions_criterion_through_the_page_is_refused(client, site, staff):
    assessment = assessment_start(staff, site=site)
    draft = referential_draft(user_with_role(Role.PLATFORM_ADMIN))
    client.force_login(staff)
    response = client.post(reverse("quality:answer", args=[assessment.pk]),
                           {"critere": draft.criteria.first().pk, "reponse": "met"}, follow=True)  # fmt: skip
    assert "n'appartient pas à la version 1" in unescape(response.content.decode())
    assert not assessment.answers.exists()


@pytest.mark.django_db
def test_a_reviewer_sees_the_review_controls_but_not_on_their_own_site(client, site, staff, reviewer):
    assessment = assessment_start(staff, site=site)
    fill_in(assessment, staff)
    assessment_submit(staff, assessment=assessment)
    client.force_login(reviewer)
    page = client.get(reverse("quality:assessment", args=[assessment.pk])).content.decode()
    assert 'data-testid="decision-box"' in page
    assert 'data-testid="review-form"' in page
    reviewer.role_grants.create(role=Role.SITE_STAFF, site=site)
    page = client.get(reverse("quality:assessment", args=[assessment.pk])).content.decode()
    assert 'data-testid="own-site"' in page
    assert 'data-testid="review-form"' not in page


@pytest.mark.django_db
def test_an_evaluator_reviews_and_closes_through_the_pages(client, site, staff):
    evaluator = user_with_role(Role.EVALUATOR, departement_id="55")
    assessment = assessment_start(staff, site=site)
    fill_in(assessment, staff)
    assessment_submit(staff, assessment=assessment)
    client.force_login(evaluator)
    criterion = applicable_criteria(assessment)[0]
    refused = client.post(
        reverse("quality:review", args=[assessment.pk]), {"critere": criterion.pk, "avis": "challenged"}
    )
    assert refused.status_code == 422
    assert "pourquoi vous contestez" in unescape(refused.content.decode())
    for criterion in applicable_criteria(assessment):
        client.post(
            reverse("quality:review", args=[assessment.pk]), {"critere": criterion.pk, "avis": "accepted"}
        )
    client.post(reverse("quality:assessment_close", args=[assessment.pk]), {"conclusion": "Conforme"})
    assessment.refresh_from_db()
    assert (assessment.status, assessment.score, assessment.mandatory_met) == (
        AssessmentStatus.CLOSED,
        Decimal("100.0"),
        True,
    )
    assert Assessment.objects.filter(status="closed").count() == 1
