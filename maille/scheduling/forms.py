"""Forms of the scheduling pages: availability editing, the staff booking form, appointment actions.

Availability forms validate with the models' own ``clean`` (overlaps, time order); views save through
``maille.scheduling.availability_services`` (the overlap checks run again there, under a lock).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from maille.directory.models import Professional, Room, Sex, Site, Use

from .models import (
    Absence,
    AvailabilityException,
    AvailabilityRule,
    ReportChannel,
    ReservedRange,
    SiteClosure,
)

TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class AccessibleErrors:
    """Marks invalid fields (``aria-invalid``) and ties each to its error message for screen readers."""

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            if name in self.fields:  # type: ignore[attr-defined]
                field = self[name]  # type: ignore[index]
                attrs = self.fields[name].widget.attrs  # type: ignore[attr-defined]
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"{field.auto_id}_error"


def _resource(value: str) -> tuple[str, int]:
    kind, _sep, pk = value.partition(":")
    return kind, int(pk)


class _OrderedTimes(AccessibleErrors, forms.ModelForm):
    """Errors next to the field: the end must follow the start, validity must end after it begins."""

    start_field, end_field = "starts", "ends"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get(self.start_field), data.get(self.end_field)
        if start is not None and end is not None and start >= end:
            self.add_error(self.end_field, _("La fin doit suivre le début."))
        since, until = data.get("valid_from"), data.get("valid_until")
        if since is not None and until is not None and since > until:
            self.add_error("valid_until", _("La fin de validité doit suivre son début."))
        return data


class RuleForm(_OrderedTimes):
    """A weekly availability rule of one resource (a room, an assistant at the site, or a doctor)."""

    resource = forms.ChoiceField(label=_("Ressource"))

    class Meta:
        model = AvailabilityRule
        fields = ["weekday", "starts", "ends", "valid_from", "valid_until"]
        widgets = {
            "starts": TIME_WIDGET,
            "ends": TIME_WIDGET,
            "valid_from": DATE_WIDGET,
            "valid_until": DATE_WIDGET,
        }

    def __init__(self, *args: Any, resources: list[tuple[str, str]], site: Site | None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.site = site
        self.fields["resource"].choices = resources
        self.order_fields(["resource", "weekday", "starts", "ends", "valid_from", "valid_until"])
        if self.instance.pk:
            current = (
                f"room:{self.instance.room_id}"
                if self.instance.room_id
                else f"pro:{self.instance.professional_id}"
            )
            self.initial["resource"] = current
        if len(resources) == 1:
            self.fields["resource"].widget = forms.HiddenInput()
            self.initial["resource"] = resources[0][0]

    def _post_clean(self) -> None:
        if any(
            name not in self.cleaned_data for name in ("resource", "weekday", "starts", "ends", "valid_from")
        ):
            return  # errors already shown next to the fields; the model's overlap check needs them all
        value = self.cleaned_data.get("resource")
        if value:
            kind, pk = _resource(value)
            self.instance.room = Room.objects.get(pk=pk) if kind == "room" else None
            self.instance.professional = Professional.objects.get(pk=pk) if kind == "pro" else None
            self.instance.site = self.site if kind == "pro" else None
        super()._post_clean()


class ExceptionForm(AccessibleErrors, forms.ModelForm):
    """Cancel one occurrence of a rule, or move it to other hours that day."""

    class Meta:
        model = AvailabilityException
        fields = ["rule", "date", "is_cancelled", "starts", "ends", "reason"]
        widgets = {"date": DATE_WIDGET, "starts": TIME_WIDGET, "ends": TIME_WIDGET}
        labels = {
            "rule": _("Disponibilité concernée"),
            "is_cancelled": _("Annuler cette occurrence (sinon, indiquer les nouveaux horaires)"),
        }

    def __init__(self, *args: Any, rules: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["rule"].queryset = rules
        self.fields["rule"].label_from_instance = _rule_label

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("is_cancelled"):
            start, end = data.get("starts"), data.get("ends")
            if start is None:
                self.add_error("starts", _("Indiquez le nouveau début, ou annulez l'occurrence."))
            if end is None:
                self.add_error("ends", _("Indiquez la nouvelle fin, ou annulez l'occurrence."))
            if start is not None and end is not None and start >= end:
                self.add_error("ends", _("La fin doit suivre le début."))
        else:
            data["starts"] = data["ends"] = None
        rule, date = data.get("rule"), data.get("date")
        if rule is not None and date is not None:
            if date.weekday() != rule.weekday:
                self.add_error("date", _("Cette date n'est pas une occurrence de la disponibilité choisie."))
            existing = AvailabilityException.objects.filter(rule=rule, date=date).first()
            if existing is not None:
                # One exception per occurrence: a new one replaces the previous one.
                self.instance = existing
        return data

    def validate_unique(self) -> None:
        """Replaced in ``clean`` rather than refused."""


def _rule_label(rule: AvailabilityRule) -> str:
    owner = rule.room.name if rule.room_id else str(rule.professional)
    return f"{owner} — {rule.get_weekday_display()} {rule.starts:%H:%M}–{rule.ends:%H:%M}"


class AbsenceForm(_OrderedTimes):
    resource = forms.ChoiceField(label=_("Ressource"))
    start_field, end_field = "starts_at", "ends_at"

    class Meta:
        model = Absence
        fields = ["starts_at", "ends_at", "reason"]
        widgets = {"starts_at": DATETIME_WIDGET, "ends_at": DATETIME_WIDGET}

    def __init__(self, *args: Any, resources: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["resource"].choices = resources
        self.order_fields(["resource", "starts_at", "ends_at", "reason"])
        if len(resources) == 1:
            self.fields["resource"].widget = forms.HiddenInput()
            self.initial["resource"] = resources[0][0]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        value, start, end = data.get("resource"), data.get("starts_at"), data.get("ends_at")
        if value and start and end and start < end:
            # The model's clean() checks overlaps once the resource is known.
            kind, pk = _resource(value)
            self.instance.room_id = pk if kind == "room" else None
            self.instance.professional_id = pk if kind == "pro" else None
        return data


class ClosureForm(_OrderedTimes):
    start_field, end_field = "starts_at", "ends_at"

    class Meta:
        model = SiteClosure
        fields = ["starts_at", "ends_at", "reason"]
        widgets = {"starts_at": DATETIME_WIDGET, "ends_at": DATETIME_WIDGET}

    def __init__(self, *args: Any, site: Site, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.instance.site = site


class ReservedRangeForm(_OrderedTimes):
    class Meta:
        model = ReservedRange
        fields = ["use", "weekday", "starts", "ends", "valid_from", "valid_until", "release_hours_before"]
        widgets = {
            "starts": TIME_WIDGET,
            "ends": TIME_WIDGET,
            "valid_from": DATE_WIDGET,
            "valid_until": DATE_WIDGET,
        }
        labels = {"use": _("Usage")}

    def __init__(self, *args: Any, site: Site, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.instance.site = site
        self.fields["use"].queryset = Use.objects.filter(
            site_uses__site=site, site_uses__is_active=True
        ).order_by("name")


# --- booking --------------------------------------------------------------------------------------
class SlotSearchForm(AccessibleErrors, forms.Form):
    """What the operator asks: the use, where the patient lives (or which sites), and preferences."""

    use = forms.ModelChoiceField(
        label=_("Usage"), queryset=Use.objects.none(), empty_label=_("Choisir un usage")
    )
    commune = forms.CharField(
        label=_("Commune du patient"),
        required=False,
        max_length=100,
        help_text=_("Code INSEE ou nom ; vide : tous les sites de votre périmètre."),
    )
    site = forms.ModelChoiceField(
        label=_("Site"), queryset=Site.objects.none(), required=False, empty_label=_("Tous les sites")
    )
    max_travel_minutes = forms.IntegerField(
        label=_("Trajet maximal (minutes)"), required=False, min_value=5, max_value=240
    )
    doctor_sex = forms.ChoiceField(
        label=_("Sexe du médecin"),
        required=False,
        choices=[("", _("Indifférent")), (Sex.FEMALE, _("une femme")), (Sex.MALE, _("un homme"))],
    )
    doctor_language = forms.CharField(
        label=_("Langue parlée par le médecin"),
        required=False,
        max_length=2,
        help_text=_("Code à deux lettres, ex. : en"),
    )
    # A patient at the site without appointment: today's free times from now (site staff of that site).
    sans_rdv = forms.BooleanField(required=False, widget=forms.HiddenInput())

    def __init__(self, *args: Any, uses: Any, sites: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["use"].queryset = uses
        self.fields["site"].queryset = sites

    def clean_commune(self) -> Any:
        from maille.territory.models import Commune

        text = (self.cleaned_data.get("commune") or "").strip()
        if not text:
            return None
        found = Commune.objects.filter(Q(code=text) | Q(name__iexact=text)).order_by("-population").first()
        if found is None:
            raise forms.ValidationError(_("Commune inconnue : indiquez son code INSEE ou son nom exact."))
        return found


class PatientSearchForm(AccessibleErrors, forms.Form):
    q = forms.CharField(label=_("Nom du patient"), required=False, max_length=120)
    birth_date = forms.DateField(label=_("Date de naissance"), required=False, widget=DATE_WIDGET)
    phone = forms.CharField(label=_("Téléphone"), required=False, max_length=20)

    def has_criteria(self) -> bool:
        data = self.cleaned_data
        # A phone number, or a name with a birth date: the patient list is never browsed by partial name.
        return bool(data.get("phone") or (len((data.get("q") or "").strip()) >= 2 and data.get("birth_date")))


class PatientCreateForm(AccessibleErrors, forms.Form):
    """A phone number alone is enough; the rest is completed later."""

    phone = forms.CharField(label=_("Téléphone"), max_length=20, required=False)
    last_name = forms.CharField(label=_("Nom"), max_length=120, required=False)
    first_name = forms.CharField(label=_("Prénom"), max_length=120, required=False)
    birth_date = forms.DateField(label=_("Date de naissance"), required=False, widget=DATE_WIDGET)
    create_anyway = forms.BooleanField(
        label=_("Ce n'est aucun des patients proposés : créer un nouveau dossier"), required=False
    )

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {k: data[k] for k in ("phone", "last_name", "first_name", "birth_date") if data.get(k)}


class ConfirmForm(AccessibleErrors, forms.Form):
    """The operator's last step: how the patient hears of the booking, and the call's note."""

    SEND, READ_OUT = "send", "read"
    confirmation = forms.ChoiceField(
        label=_("Confirmation au patient"),
        widget=forms.RadioSelect,
        choices=[(SEND, _("l'envoyer (SMS ou courriel)")), (READ_OUT, _("je la lis au patient"))],
        initial=SEND,
        required=False,  # not chosen: sent when it can be, read out otherwise
    )
    call_note = forms.CharField(
        label=_("Note d'appel (facultatif)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, can_send: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.can_send = can_send
        if not can_send:  # no mobile and no email: the confirmation can only be read out
            self.fields["confirmation"].choices = [
                (self.READ_OUT, _("je la lis au patient (ni portable ni courriel)"))
            ]
            self.fields["confirmation"].initial = self.READ_OUT

    def clean_confirmation(self) -> str:
        chosen = self.cleaned_data.get("confirmation") or ""
        return chosen or (self.SEND if self.can_send else self.READ_OUT)


class HoldForm(forms.Form):
    use = forms.ModelChoiceField(queryset=Use.objects.all(), widget=forms.HiddenInput())
    site = forms.ModelChoiceField(queryset=Site.objects.none(), widget=forms.HiddenInput())
    starts_at = forms.DateTimeField(widget=forms.HiddenInput())
    patient = forms.IntegerField(required=False, widget=forms.HiddenInput())
    sans_rdv = forms.BooleanField(required=False, widget=forms.HiddenInput())

    def __init__(self, *args: Any, sites: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites


class CancelForm(AccessibleErrors, forms.Form):
    reason = forms.CharField(label=_("Motif de l'annulation"), max_length=300)
    by_patient = forms.BooleanField(label=_("Annulé à la demande du patient"), required=False)


class RescheduleForm(AccessibleErrors, forms.Form):
    starts_at = forms.DateTimeField(label=_("Nouveau début"), widget=DATETIME_WIDGET)
    reason = forms.CharField(label=_("Motif"), max_length=300, required=False)


class CompleteForm(AccessibleErrors, forms.Form):
    duration_minutes = forms.IntegerField(label=_("Durée réelle (minutes)"), min_value=1, max_value=240)
    act_code = forms.CharField(label=_("Acte réalisé (code CCAM/NGAP)"), max_length=20, required=False)
    report_channel = forms.ChoiceField(
        label=_("Compte rendu au médecin traitant"), choices=ReportChannel.choices, required=False
    )
    prescription_issued = forms.BooleanField(label=_("Ordonnance délivrée"), required=False)
    referred_in_person = forms.BooleanField(
        label=_("Orientation vers une consultation physique"), required=False
    )
    follow_up_needed = forms.BooleanField(label=_("Suivi à prévoir"), required=False)
    follow_up_note = forms.CharField(
        label=_("Suivi : précisions (facultatif)"), max_length=300, required=False,
        help_text=_("Ex. : revoir dans 15 jours, bilan sanguin avant."),
    )  # fmt: skip


def week_start_from(value: str | None, today: dt.date) -> dt.date:
    """The Monday of the week asked in ``?semaine=YYYY-MM-DD`` (today's week if absent or invalid)."""
    try:
        day = dt.date.fromisoformat(value) if value else today
    except ValueError:
        day = today
    return day - dt.timedelta(days=day.weekday())


class WaitlistForm(AccessibleErrors, forms.Form):
    """A patient waits for a use, within a travel time from their commune, between two dates."""

    use = forms.ModelChoiceField(label=_("Usage"), queryset=Use.objects.none(), empty_label=None)
    earliest = forms.DateField(label=_("À partir du"), widget=DATE_WIDGET)
    latest = forms.DateField(label=_("Jusqu'au"), widget=DATE_WIDGET)
    max_travel_minutes = forms.IntegerField(
        label=_("Trajet maximal (minutes)"), min_value=5, max_value=120, initial=30
    )
    note = forms.CharField(label=_("Note (disponibilités, contraintes)"), max_length=200, required=False)

    def __init__(self, *args: Any, uses: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["use"].queryset = uses

    # The order of the dates is checked by ``waitlist_add`` (one rule for pages and API), shown on "latest".
