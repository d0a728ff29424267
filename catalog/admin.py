from django.contrib import admin

from catalog.models import CatalogAlias, CatalogItem, CpvCode, Family


@admin.register(CpvCode)
class CpvCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "code_with_check_digit", "label_fr", "level"]
    search_fields = ["code", "label_fr", "label_en"]
    list_filter = ["level"]


@admin.register(Family)
class FamilyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "nature", "cpv", "position"]
    raw_id_fields = ["cpv"]


class CatalogAliasInline(admin.TabularInline):
    model = CatalogAlias
    extra = 0
    fields = ["text", "normalized", "collectivity", "status"]
    raw_id_fields = ["collectivity"]


@admin.register(CatalogItem)
class CatalogItemAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "family", "cpv", "unit", "reference_unit_price_ht", "is_active"]
    list_filter = ["family", "is_active"]
    search_fields = ["code", "label"]
    raw_id_fields = ["cpv"]
    inlines = [CatalogAliasInline]


@admin.register(CatalogAlias)
class CatalogAliasAdmin(admin.ModelAdmin):
    list_display = ["text", "item", "collectivity", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["text", "normalized", "item__label"]
    raw_id_fields = ["item", "collectivity", "created_by"]
