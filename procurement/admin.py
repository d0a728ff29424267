from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from procurement.models import (
    AuditEvent,
    Campaign,
    CampaignParticipation,
    Collectivity,
    Grouping,
    GroupingMember,
    Membership,
    NeedLine,
    Site,
    User,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["collectivity"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]


@admin.register(Collectivity)
class CollectivityAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "insee_code", "siren", "population"]
    list_filter = ["kind"]
    search_fields = ["name", "insee_code", "siren"]
    autocomplete_fields = ["epci", "departement", "region"]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["uai", "name", "kind", "city_name", "competent_collectivity", "is_public"]
    list_filter = ["kind", "is_public"]
    search_fields = ["uai", "name", "city_name"]
    autocomplete_fields = ["commune", "competent_collectivity"]


class ParticipationInline(admin.TabularInline):
    model = CampaignParticipation
    extra = 0
    autocomplete_fields = ["collectivity"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["title", "coordinator", "opens_on", "closes_on", "status"]
    list_filter = ["status"]
    search_fields = ["title"]
    autocomplete_fields = ["coordinator"]
    inlines = [ParticipationInline]


@admin.register(NeedLine)
class NeedLineAdmin(admin.ModelAdmin):
    list_display = [
        "text",
        "quantity",
        "unit",
        "collectivity",
        "campaign",
        "catalog_item",
        "match_score",
        "match_status",
    ]
    list_filter = ["match_status", "campaign"]
    search_fields = ["text"]
    raw_id_fields = ["campaign", "collectivity", "site", "catalog_item", "cpv", "created_by"]


class GroupingMemberInline(admin.TabularInline):
    model = GroupingMember
    extra = 0
    autocomplete_fields = ["collectivity"]


@admin.register(Grouping)
class GroupingAdmin(admin.ModelAdmin):
    list_display = ["reference", "title", "coordinator", "status", "created_at"]
    list_filter = ["status", "nature"]
    search_fields = ["reference", "title"]
    inlines = [GroupingMemberInline]
    raw_id_fields = ["campaign", "coordinator", "created_by"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "collectivity", "action", "target_repr"]
    list_filter = ["action"]
    search_fields = ["target_repr", "action"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
