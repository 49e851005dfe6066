"""The survey forms: the questions of ``surveys.py`` as radio buttons and boxes, readable on a small phone."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from maille.territory.models import Departement

from .surveys import BOOKING_EASE, PATIENT_REASONS, PROFESSIONAL_SCALES, PatientAnswers, ProfessionalAnswers

SCORES = [(str(n), str(n)) for n in range(11)]
NOT_MYSELF = "0"


class PatientSurveyForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("Quelle note donnez-vous à cette téléconsultation ?"),
        help_text=_("De 0 (pas du tout satisfait·e) à 10 (tout à fait satisfait·e)."),
        choices=SCORES, coerce=int, widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez une note de 0 à 10."),
                        "invalid_choice": _("Choisissez une note de 0 à 10.")},
    )  # fmt: skip
    reasons = forms.MultipleChoiceField(
        label=_("Pourquoi avez-vous choisi une téléconsultation ?"),
        help_text=_("Plusieurs réponses possibles."),
        choices=PATIENT_REASONS, required=False, widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Réponse inconnue : cochez les cases proposées.")},
    )  # fmt: skip
    booking_ease = forms.TypedChoiceField(
        label=_("La prise de rendez-vous a-t-elle été facile ?"),
        choices=[(str(v), label) for v, label in BOOKING_EASE] + [(NOT_MYSELF, _("Quelqu'un l'a pris pour moi"))],
        coerce=int, required=False, widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Réponse inconnue : choisissez une des réponses proposées.")},
    )  # fmt: skip

    def answers(self) -> PatientAnswers:
        ease = self.cleaned_data.get("booking_ease")
        return PatientAnswers(
            score=self.cleaned_data["score"],
            reasons=frozenset(self.cleaned_data.get("reasons") or ()),
            booking_ease=ease or None,  # "" (no answer) and 0 (booked by someone else) are not an ease
        )


class ProfessionalSurveyForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("Quelle note donnez-vous au fonctionnement des téléconsultations dans votre site ?"),
        help_text=_("De 0 (très insatisfaisant) à 10 (excellent)."),
        choices=SCORES, coerce=int, widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez une note de 0 à 10."),
                        "invalid_choice": _("Choisissez une note de 0 à 10.")},
    )  # fmt: skip

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for name, question, choices in PROFESSIONAL_SCALES:
            self.fields[name] = forms.TypedChoiceField(
                label=question, choices=[(str(v), label) for v, label in choices], coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": _("Choisissez une réponse."),
                                "invalid_choice": _("Réponse inconnue : choisissez une des réponses proposées.")},
            )  # fmt: skip

    def answers(self) -> ProfessionalAnswers:
        data = self.cleaned_data
        return ProfessionalAnswers(
            score=data["score"],
            equipment_ease=data["equipment_ease"],
            doctor_collaboration=data["doctor_collaboration"],
            meets_patient_needs=data["meets_patient_needs"],
        )


class CampaignForm(forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=120, required=False)
    departement = forms.ChoiceField(label=_("Territoire"), required=False)
    closes_on = forms.DateField(
        label=_("Clôture le"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Date illisible : AAAA-MM-JJ.")},
    )  # fmt: skip

    def __init__(self, *args: object, departements: list[Departement], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["departement"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Tout mon périmètre"))] + [(d.pk, f"{d.name} ({d.pk})") for d in departements]
        field.error_messages["invalid_choice"] = _("Territoire inconnu ou hors de votre périmètre.")
