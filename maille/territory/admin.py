from django.contrib import admin

from .models import AplParameter, Commune, Cpts, Departement, Epci, FormerCommune, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Departement)
class DepartementAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region"]
    list_filter = ["region"]
    search_fields = ["code", "name"]


@admin.register(Epci)
class EpciAdmin(admin.ModelAdmin):
    list_display = ["siren", "name", "kind", "population"]
    list_filter = ["kind"]
    search_fields = ["siren", "name"]


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "departement", "population", "apl_gp", "apl_year"]
    list_filter = ["departement__region", "departement"]
    search_fields = ["code", "name"]
    list_select_related = ["departement"]
    raw_id_fields = ["epci"]


@admin.register(Cpts)
class CptsAdmin(admin.ModelAdmin):
    list_display = ["name", "departement", "is_fictional"]
    list_filter = ["departement", "is_fictional"]
    search_fields = ["name"]
    autocomplete_fields = ["communes"]


@admin.register(AplParameter)
class AplParameterAdmin(admin.ModelAdmin):
    list_display = ["year", "table", "rank", "label", "value", "value_text"]
    list_filter = ["year", "table"]


@admin.register(FormerCommune)
class FormerCommuneAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "commune", "apl_gp", "apl_year"]
    search_fields = ["code", "name", "commune__name"]
    raw_id_fields = ["commune"]
