from django.contrib import admin

from tenders.models import Publication, Vendor


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ["name", "siret", "created_at"]
    search_fields = ["name", "siret"]
    filter_horizontal = ["users"]


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    """Read-only: publications are created and withdrawn through `tenders.services` (audit trail)."""

    list_display = ["title", "grouping", "status", "published_at"]
    list_filter = ["status"]
    search_fields = ["title", "grouping__reference"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
