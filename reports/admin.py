from django.contrib import admin

from reports.models import GeneratedDocument


@admin.register(GeneratedDocument)
class GeneratedDocumentAdmin(admin.ModelAdmin):
    """Read-only view of generation jobs, to investigate failures. Files are downloaded from the app, not here."""

    list_display = ["grouping", "kind", "status", "progress", "size", "created_at", "finished_at"]
    list_filter = ["kind", "status"]
    search_fields = ["grouping__reference", "filename"]
    list_select_related = ["grouping"]
    exclude = ["file"]
    readonly_fields = [
        "grouping", "kind", "status", "progress", "error", "filename", "size", "requested_by", "created_at",
        "finished_at",
    ]  # fmt: skip

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
