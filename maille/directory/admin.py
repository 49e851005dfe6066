from django.contrib import admin

from .models import (
    EquipmentType,
    NetworkRole,
    OpeningHours,
    Organisation,
    Professional,
    Room,
    Site,
    SiteUse,
    Specialty,
    Use,
)


@admin.register(EquipmentType)
class EquipmentTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "is_connected_device"]
    search_fields = ["code", "label"]


@admin.register(Specialty)
class SpecialtyAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "nos_code"]
    search_fields = ["code", "label"]


@admin.register(Use)
class UseAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "kind",
        "default_duration_minutes",
        "remote_profession",
        "remote_specialty",
    ]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    filter_horizontal = ["required_equipment"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "commune", "finess", "siret", "is_fictional"]
    list_filter = ["kind", "is_fictional"]
    search_fields = ["name", "finess", "siret", "commune__name"]
    autocomplete_fields = ["commune", "cpts"]


class RoomInline(admin.TabularInline):
    model = Room
    extra = 0
    filter_horizontal = ["equipment"]


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class SiteUseInline(admin.TabularInline):
    model = SiteUse
    extra = 0


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "commune", "host_organisation", "is_active", "is_fictional"]
    list_filter = ["level", "is_active", "is_fictional", "commune__departement"]
    search_fields = ["name", "commune__name", "host_organisation__name"]
    autocomplete_fields = ["commune", "host_organisation"]
    inlines = [RoomInline, OpeningHoursInline, SiteUseInline]


class NetworkRoleInline(admin.TabularInline):
    model = NetworkRole
    extra = 0
    autocomplete_fields = ["organisation", "sites"]


@admin.register(Professional)
class ProfessionalAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "rpps", "profession", "specialty", "is_fictional"]
    list_filter = ["profession", "specialty", "is_fictional"]
    search_fields = ["last_name", "first_name", "rpps"]
    raw_id_fields = ["user"]
    inlines = [NetworkRoleInline]
