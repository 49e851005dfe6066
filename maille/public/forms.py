"""The public pages' forms: plain French labels, one question at a time, errors next to their field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import phonenumbers
from django import forms
from django.conf import settings
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maille.core.identifiers import is_mobile_phone
from maille.core.input_guards import row_number
from maille.directory.models import Site, Use
from maille.scheduling.forms import AccessibleErrors
from maille.territory.models import Commune

from .models import ContactChannel
from .places import communes_matching

TRAVEL_CHOICES = [(20, _("20 minutes")), (30, _("30 minutes")), (45, _("45 minutes")), (60, _("1 heure")),
                  (90, _("1 h 30"))]  # fmt: skip
DEFAULT_TRAVEL = 45
SEARCH_DAYS = 90


def public_uses() -> Any:
    """The uses patients book alone that some active site offers."""
    return (
        Use.objects.filter(
            kind__in=settings.PUBLIC_USE_KINDS, site_uses__is_active=True, site_uses__site__is_active=True
        )
        .distinct()
        .order_by("name")
    )


class PlaceForm(AccessibleErrors, forms.Form):
    """Step 1: what for, and from where."""

    usage = forms.ModelChoiceField(
        label=_("Pour quoi ?"), queryset=Use.objects.none(), empty_label=_("Choisissez")
    )
    lieu = forms.CharField(
        label=_("Votre commune ou votre code postal"),
        max_length=100,
        help_text=_("Par exemple : Saint-Mihiel ou 55300"),
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["usage"].queryset = public_uses()
        self.communes: list[Commune] = []

    def clean_lieu(self) -> str:
        text = self.cleaned_data["lieu"]
        self.communes = communes_matching(text)
        if not self.communes:
            raise forms.ValidationError(
                _("Nous ne trouvons pas cette commune. Vérifiez l'orthographe ou indiquez le code postal.")
            )
        return text


class SlotsForm(AccessibleErrors, forms.Form):
    """Step 2 (GET): the slots near a commune; the link carries the INSEE code, never the patient."""

    usage = forms.ModelChoiceField(queryset=Use.objects.none())
    commune = forms.ModelChoiceField(queryset=Commune.objects.with_coordinates(), to_field_name="code")
    trajet = forms.TypedChoiceField(
        label=_("Trajet au plus"),
        choices=TRAVEL_CHOICES,
        coerce=int,
        required=False,
        empty_value=DEFAULT_TRAVEL,
    )
    apres = forms.DateField(
        label=_("À partir du"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["usage"].queryset = public_uses()

    def clean_apres(self) -> dt.date | None:
        day = self.cleaned_data.get("apres")
        today = timezone.localdate()
        if day is not None and not today <= day <= today + dt.timedelta(days=SEARCH_DAYS):
            raise forms.ValidationError(
                _("Choisissez une date entre aujourd'hui et dans %(days)s jours.") % {"days": SEARCH_DAYS}
            )
        return day


class _ChosenTime(forms.Form):
    """A time chosen from a list: ``creneau`` = "<site id>_<ISO start>" (one form for the whole list, so the
    page carries one CSRF token), cleaned into ``site`` and ``debut``."""

    creneau = forms.CharField(max_length=80)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        raw = data.get("creneau") or ""
        site_id, _sep, start = raw.partition("_")
        try:
            debut = dt.datetime.fromisoformat(start)
        except ValueError:
            debut = None
        site_number = row_number(site_id)
        site = (
            Site.objects.filter(pk=site_number, is_active=True).first() if site_number is not None else None
        )
        if site is None or debut is None or debut.tzinfo is None:
            self.add_error("creneau", _("Ce créneau n'est pas valable : choisissez-en un dans la liste."))
            return data
        data["site"], data["debut"] = site, debut
        return data


class HoldForm(_ChosenTime):
    usage = forms.ModelChoiceField(queryset=Use.objects.none())
    commune = forms.CharField(max_length=5, required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["usage"].queryset = public_uses()


def french_mobile(value: str) -> str:
    """A French mobile number in E.164, or a French error saying what is wrong with it."""
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        raise forms.ValidationError(_("Ce numéro de téléphone n'est pas valable.")) from None
    if not phonenumbers.is_valid_number(number):
        raise forms.ValidationError(_("Ce numéro de téléphone n'est pas valable."))
    region = phonenumbers.region_code_for_number(number)
    if region not in ("FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF"):
        raise forms.ValidationError(
            _("Nous n'envoyons les SMS qu'aux numéros français : indiquez plutôt une adresse électronique.")
        )
    e164 = str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    if not is_mobile_phone(e164):
        raise forms.ValidationError(
            _(
                "Ce numéro n'est pas un portable (06 ou 07) : le code part par SMS. Indiquez un portable ou une "
                "adresse électronique."
            )  # fmt: skip
        )
    return e164


class IdentityForm(AccessibleErrors, forms.Form):
    """Step 3: who the appointment is for, and where the code goes. Nothing more is asked."""

    pour_un_proche = forms.BooleanField(label=_("Je prends ce rendez-vous pour un proche"), required=False)
    nom_proche = forms.CharField(label=_("Votre nom"), max_length=120, required=False)
    prenom_proche = forms.CharField(label=_("Votre prénom"), max_length=120, required=False)
    nom = forms.CharField(label=_("Nom du patient"), max_length=120,
                          widget=forms.TextInput(attrs={"autocomplete": "family-name"}))  # fmt: skip
    prenom = forms.CharField(label=_("Prénom du patient"), max_length=120,
                             widget=forms.TextInput(attrs={"autocomplete": "given-name"}))  # fmt: skip
    date_naissance = forms.DateField(
        label=_("Date de naissance du patient"),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
    )
    contact = forms.CharField(
        label=_("Téléphone portable ou adresse électronique"),
        max_length=254,
        help_text=_("Le code de confirmation y est envoyé, puis les rappels du rendez-vous."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "email"}),
    )
    consentement = forms.BooleanField(
        label=_(
            "J'accepte une téléconsultation assistée et que mes coordonnées servent à ce rendez-vous et à ses "
            "rappels."
        )
    )

    def clean_date_naissance(self) -> dt.date:
        day: dt.date = self.cleaned_data["date_naissance"]
        today = timezone.localdate()
        if day > today or day.year < today.year - 120:
            raise forms.ValidationError(_("Cette date de naissance n'est pas possible."))
        return day

    def clean_contact(self) -> tuple[str, str]:
        text = self.cleaned_data["contact"].strip()
        if "@" in text:
            try:
                validate_email(text)
            except forms.ValidationError:
                raise forms.ValidationError(_("Cette adresse électronique n'est pas valable.")) from None
            return ContactChannel.EMAIL, text.lower()
        return ContactChannel.SMS, french_mobile(text)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("pour_un_proche"):
            for field in ("nom_proche", "prenom_proche"):
                if not (data.get(field) or "").strip():
                    self.add_error(
                        field, _("Indiquez votre nom et votre prénom : vous prenez le rendez-vous.")
                    )
        for field in ("nom", "prenom", "nom_proche", "prenom_proche"):
            if field in data and isinstance(data[field], str):
                data[field] = " ".join(data[field].split())
        return data


class CodeForm(AccessibleErrors, forms.Form):
    code = forms.CharField(
        label=_("Code reçu (6 chiffres)"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not code.isdigit() or len(code) != 6:
            raise forms.ValidationError(_("Le code compte 6 chiffres."))
        return code


class CancelForm(AccessibleErrors, forms.Form):
    motif = forms.CharField(label=_("Motif (facultatif)"), max_length=300, required=False)
    confirmer = forms.BooleanField(label=_("Oui, j'annule ce rendez-vous"))


class MoveForm(_ChosenTime):
    pass
