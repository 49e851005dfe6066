"""The directory's search form: its GET parameters become the shared ``SiteFilters``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from maille.territory.models import Commune, Cpts

from .models import EquipmentType, SiteLevel, Use
from .selectors import SiteFilters, sites_visible_to

PAGE_SIZES = (20, 50, 100)


class SiteSearchForm(forms.Form):
    """Every field is optional; a value that is not among the choices is reported and ignored."""

    q = forms.CharField(
        label=_("Rechercher"),
        required=False,
        max_length=100,
        help_text=_("Nom du site, commune ou structure d'accueil"),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    commune = forms.ChoiceField(label=_("Commune"), required=False)
    cpts = forms.TypedChoiceField(label=_("CPTS"), required=False, coerce=int, empty_value=None)
    use = forms.ChoiceField(label=_("Usage proposé"), required=False)
    level = forms.ChoiceField(
        label=_("Niveau"), required=False, choices=[("", _("Tous les niveaux")), *SiteLevel.choices]
    )
    equipment = forms.ChoiceField(label=_("Équipement disponible"), required=False)
    accessible = forms.BooleanField(label=_("Accessible aux personnes à mobilité réduite"), required=False)
    taille = forms.TypedChoiceField(
        label=_("Résultats par page"),
        required=False,
        coerce=int,
        empty_value=PAGE_SIZES[0],
        choices=[(size, str(size)) for size in PAGE_SIZES],
    )

    def __init__(self, data: Any = None, *, user: Any) -> None:
        super().__init__(data)
        # Choices limited to what the user can see: one query per list, whatever the number of sites.
        visible_sites = sites_visible_to(user).active()
        communes = (
            Commune.objects.filter(pk__in=visible_sites.values("commune_id"))
            .order_by("name")
            .values_list("code", "name")
        )
        self.fields["commune"].choices = [("", _("Toutes les communes"))] + [
            (code, f"{name} ({code})") for code, name in communes
        ]
        cpts = (
            Cpts.objects.filter(communes__in=visible_sites.values("commune_id"))
            .distinct()
            .order_by("name")
            .values_list("pk", "name")
        )
        self.fields["cpts"].choices = [("", _("Toutes les CPTS"))] + list(cpts)
        self.fields["use"].choices = [("", _("Tous les usages"))] + list(
            Use.objects.order_by("name").values_list("code", "name")
        )
        self.fields["equipment"].choices = [("", _("Tout équipement"))] + list(
            EquipmentType.objects.order_by("label").values_list("code", "label")
        )

    def to_filters(self) -> SiteFilters:
        """The filters of the valid fields (an invalid field is left out, its error shown in the form)."""
        if not self.is_bound:
            return SiteFilters()
        self.is_valid()
        values = self.cleaned_data
        return SiteFilters(
            text=(values.get("q") or "").strip(),
            commune=values.get("commune") or "",
            cpts=values.get("cpts"),
            use=values.get("use") or "",
            level=values.get("level") or "",
            equipment=values.get("equipment") or "",
            reduced_mobility_access=True if values.get("accessible") else None,
        )

    @property
    def page_size(self) -> int:
        if not self.is_bound:
            return PAGE_SIZES[0]
        self.is_valid()
        size = self.cleaned_data.get("taille")
        return int(size) if size in PAGE_SIZES else PAGE_SIZES[0]
