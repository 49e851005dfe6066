"""The survey pages: the public answer page (no login; the link decides everything, answers once, clear errors in
French), the results of a territory with their CSV and XLSX, the professionals' campaign form, and the patients'
satisfaction among the indicators."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io

import pytest
from django.urls import reverse

from maille.accounts.models import Role
from maille.evaluation.models import SurveyCampaign, SurveyInvitation, SurveyResponse
from maille.evaluation.surveys import PatientAnswers, survey_answer
from maille.notifications.models import Message
from tests.accounts.factories import user_with_role
from tests.directory.factories import NetworkRoleFactory, ProfessionalFactory
from tests.patients.factories import PatientFactory
from tests.scheduling.factories import make_network, paris

from .test_surveys import invite, token_of

pytestmark = pytest.mark.django_db

MARCH = paris(2026, 3, 2, 9)


@pytest.fixture(autouse=True)
def _outbox(settings, tmp_path):
    settings.NOTIFICATIONS_FILE = str(tmp_path / "outbox.jsonl")
    settings.NOTIFICATIONS_SMS_BACKEND = "file"
    settings.NOTIFICATIONS_EMAIL_BACKEND = "file"
    settings.EVALUATION_SURVEY_MIN_ANSWERS = 5
    settings.EVALUATION_INDICATORS_CACHE_SECONDS = 0
    settings.PUBLIC_BASE_URL = "https://rdv.example.fr"


@pytest.fixture
def net():
    return make_network()


def answer_url(token: str) -> str:
    return reverse("avis:answer", args=[token])


# --- the public page --------------------------------------------------------------------------------------
def test_a_patient_answers_without_an_account_once(client, net):
    patient = PatientFactory(last_name="Reconnaissable")
    _invitation, token = invite(net, patient=patient)
    page = client.get(answer_url(token))
    assert page.status_code == 200
    body = html.unescape(page.content.decode())
    assert "Quelle note donnez-vous à cette téléconsultation ?" in body
    assert "Reconnaissable" not in body  # no identity on the page
    assert "no-cache" in page["Cache-Control"]
    answered = client.post(answer_url(token), {"score": "9", "reasons": ["reason_no_gp", "reason_closer"],
                                                "booking_ease": "0"})  # fmt: skip
    assert answered.status_code == 200
    assert "Merci pour votre avis" in html.unescape(answered.content.decode())
    response = SurveyResponse.objects.get()
    assert (response.score, response.reason_no_gp, response.reason_closer, response.booking_ease) == (
        9,
        True,
        True,
        None,
    )
    again = client.post(answer_url(token), {"score": "0"})
    assert again.status_code == 409
    assert "Vous avez déjà répondu à ce questionnaire" in html.unescape(again.content.decode())
    assert SurveyResponse.objects.count() == 1
    assert SurveyResponse.objects.get().score == 9


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({}, 422, "Choisissez une note de 0 à 10."),
        ({"score": "11"}, 422, "Choisissez une note de 0 à 10."),
        ({"score": "dix"}, 422, "Choisissez une note de 0 à 10."),
        (
            {"score": "5", "reasons": ["reason_unknown"]},
            422,
            "Réponse inconnue : cochez les cases proposées.",
        ),
        (
            {"score": "5", "booking_ease": "7"},
            422,
            "Réponse inconnue : choisissez une des réponses proposées.",
        ),
        # refused before the form by the NUL guard of every page, which names the field
        ({"score": "5\x00"}, 400, "Champ « score » : Le caractère NUL (0x00) n'est pas accepté."),
    ],
)
def test_a_wrong_answer_is_shown_again_with_its_question_named_and_nothing_recorded(
    client, net, data, status, message
):
    _invitation, token = invite(net)
    response = client.post(answer_url(token), data)
    assert response.status_code == status
    body = html.unescape(response.content.decode())
    assert message in body
    if status == 422:  # the form again, its question marked
        assert 'aria-invalid="true"' in body
    assert not SurveyResponse.objects.exists()
    assert SurveyInvitation.objects.get().answered_on is None


def test_links_that_cannot_be_answered_say_why(client, net):
    invitation, token = invite(net)
    assert client.get(answer_url("pas-un-lien")).status_code == 404
    SurveyInvitation.objects.filter(pk=invitation.pk).update(expires_at=paris(2026, 3, 3, 9))
    expired = client.get(answer_url(token))
    assert expired.status_code == 410
    assert "Ce questionnaire est clos" in html.unescape(expired.content.decode())


def test_a_professional_answers_the_four_questions(client, net):
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    net.nurse.email = "ide@example.fr"
    net.nurse.save()
    client.force_login(coordinator)
    launched = client.post(reverse("evaluation:survey_campaigns"),
                           {"title": "Enquête T1", "departement": "55", "closes_on": "2099-01-01"})  # fmt: skip
    assert launched.status_code == 422  # more than 90 days
    assert "90 jours au plus" in html.unescape(launched.content.decode())
    closes = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    launched = client.post(reverse("evaluation:survey_campaigns"),
                           {"title": "Enquête T1", "departement": "55", "closes_on": closes}, follow=True)  # fmt: skip
    assert "Enquête lancée : 1 professionnel(s) invité(s)." in html.unescape(launched.content.decode())
    client.logout()
    token = token_of(Message.objects.get(recipient="ide@example.fr"))
    page = client.get(answer_url(token))
    assert "Le matériel (vidéo, appareils connectés) est-il facile à utiliser ?" in html.unescape(
        page.content.decode()
    )
    missing = client.post(answer_url(token), {"score": "8"})
    assert missing.status_code == 422
    assert html.unescape(missing.content.decode()).count("Choisissez une réponse.") == 3
    done = client.post(answer_url(token), {"score": "8", "equipment_ease": "3", "doctor_collaboration": "4",
                                           "meets_patient_needs": "2"})  # fmt: skip
    assert done.status_code == 200
    response = SurveyResponse.objects.get()
    assert (response.kind, response.profession, response.campaign) == ("professionnel", "infirmier",
                                                                       SurveyCampaign.objects.get())  # fmt: skip


def test_a_campaign_form_names_its_wrong_fields(client, net):
    client.force_login(user_with_role(Role.COORDINATOR, departement_id="55"))
    response = client.post(reverse("evaluation:survey_campaigns"), {"title": "", "departement": "52",
                                                                     "closes_on": "2027-02-31"})  # fmt: skip
    assert response.status_code == 422
    body = html.unescape(response.content.decode())
    assert "Territoire inconnu ou hors de votre périmètre." in body
    assert "Date illisible : AAAA-MM-JJ." in body
    assert not SurveyCampaign.objects.exists()


# --- results ------------------------------------------------------------------------------------------------
@pytest.fixture
def answered(net):
    """Six answers at the Meuse site (scores 5 to 10), two at a Haute-Marne site (out of a Meuse coordinator's
    scope)."""
    marne = make_network(use=net.use, departement="52", latitude=47.8)
    for day, score in zip([0, 1, 2, 3, 4, 7], [5, 6, 7, 8, 9, 10], strict=True):  # weekdays
        _invitation, token = invite(net, at=MARCH + dt.timedelta(days=day))
        survey_answer(
            token, PatientAnswers(score=score, reasons=frozenset({"reason_sooner"}), booking_ease=4)
        )
    for i in range(2):
        _invitation, token = invite(marne, at=MARCH + dt.timedelta(days=i))
        survey_answer(token, PatientAnswers(score=0, reasons=frozenset(), booking_ease=1))
    return {"meuse": net, "marne": marne}


def results(client, user, name="evaluation:survey_results", **query):
    client.force_login(user)
    return client.get(reverse(name), {"du": "2026-03-01", "au": "2026-03-31", **query})


def test_a_coordinator_reads_the_results_of_their_territory(client, answered):
    response = results(client, user_with_role(Role.COORDINATOR, departement_id="55"))
    assert response.status_code == 200
    patients = response.context["patients"]
    assert (patients.overall.answered, patients.overall.score_mean) == (6, 7.5)
    body = html.unescape(response.content.decode())
    assert "7,5 / 10" in body
    assert answered["marne"].site.name not in body
    admin = results(client, user_with_role(Role.PLATFORM_ADMIN))
    assert admin.context["patients"].overall.answered == 8
    assert admin.context["patients"].overall.score_mean == round(45 / 8, 1)


def test_a_site_under_the_minimum_is_hidden_and_the_zone_is_checked(client, answered):
    admin = user_with_role(Role.PLATFORM_ADMIN)
    marne = results(client, admin, site=answered["marne"].site.pk)
    assert marne.context["patients"].overall.hidden
    assert "Moins de 5 réponses" in html.unescape(marne.content.decode())
    wrong = results(client, user_with_role(Role.COORDINATOR, departement_id="55"), zone="departement:52",
                    du="2026-13-01")  # fmt: skip
    assert wrong.status_code == 400
    body = html.unescape(wrong.content.decode())
    assert "Zone inconnue ou hors de votre territoire." in body
    assert "Date illisible : AAAA-MM-JJ." in body


def test_the_results_download_as_csv_and_xlsx(client, answered):
    from openpyxl import load_workbook

    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    response = results(client, coordinator, "evaluation:survey_results_csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    header, overall = rows[0], rows[1]
    assert overall[:7] == ["patients", "Ensemble", "6", "6", "6", "100,0", "7,5"]
    assert overall[header.index("Pour être soigné·e plus vite (%)")] == "100,0"
    assert ["10", "1"] in rows  # one answer gave 10
    workbook = load_workbook(
        io.BytesIO(results(client, coordinator, "evaluation:survey_results_xlsx").content)
    )
    sheet = workbook["Résultats"]
    assert [cell.value for cell in sheet[2]][:7] == ["patients", "Ensemble", 6, 6, 6, 100.0, 7.5]
    assert [row[1] for row in workbook["Notes des patients"].iter_rows(min_row=2, values_only=True)] == [
        0
    ] * 5 + [1] * 6


def test_the_patients_satisfaction_is_an_indicator_with_its_answers(client, answered):
    response = results(client, user_with_role(Role.COORDINATOR, departement_id="55"), "evaluation:indicators")
    figure = response.context["report"].figure("patient_satisfaction")
    assert (figure.value, figure.numerator, figure.denominator) == (7.5, 6, 6)
    body = html.unescape(response.content.decode())
    assert reverse("evaluation:survey_results") + "?du=2026-03-01&au=2026-03-31" in body


def test_professionals_without_email_or_mobile_are_named_when_a_campaign_is_launched(client, net):
    NetworkRoleFactory(assistant=True, sites=[net.site],
                       professional=ProfessionalFactory(pharmacist=True, email="ph@example.fr"))  # fmt: skip
    client.force_login(user_with_role(Role.COORDINATOR, departement_id="55"))
    closes = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    page = client.post(reverse("evaluation:survey_campaigns"), {"title": "T2", "departement": "", "closes_on": closes},
                       follow=True)  # fmt: skip
    body = html.unescape(page.content.decode())
    assert "1 professionnel(s) invité(s)" in body
    assert f"Sans courriel ni mobile, non invité(s) : {net.nurse.first_name} {net.nurse.last_name}." in body
    assert page.context["campaigns"][0].invited == 1
