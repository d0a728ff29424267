from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from catalog import services
from catalog.models import AliasStatus, CatalogAlias, CatalogItem, CpvCode, Family
from procurement.errors import DomainError


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


class AliasScopeFilter(admin.SimpleListFilter):
    title = _("portée")
    parameter_name = "portee"

    def lookups(self, request, model_admin):
        return [("globale", _("Pour tous")), ("collectivite", _("Apprise par une collectivité"))]

    def queryset(self, request, queryset):
        if self.value() == "globale":
            return queryset.filter(collectivity__isnull=True)
        if self.value() == "collectivite":
            return queryset.filter(collectivity__isnull=False)
        return queryset


@admin.register(CatalogAlias)
class CatalogAliasAdmin(admin.ModelAdmin):
    list_display = ["text", "normalized", "item", "collectivity", "shared_by", "status", "created_by", "created_at"]
    list_filter = ["status", AliasScopeFilter]
    search_fields = ["text", "normalized", "item__label"]
    raw_id_fields = ["item", "collectivity", "created_by"]
    list_select_related = ["item", "collectivity", "created_by"]
    actions = ["accept_for_all", "reject"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CatalogAlias]:
        # how many collectivités taught the same wording for the same item: the evidence for making it global
        same = (
            CatalogAlias.objects.filter(
                item_id=OuterRef("item_id"), normalized=OuterRef("normalized"), collectivity__isnull=False
            )
            .exclude(status=AliasStatus.REJECTED)
            .values("item_id")
            .annotate(n=Count("collectivity", distinct=True))
            .values("n")
        )
        return super().get_queryset(request).annotate(shared=Subquery(same, output_field=IntegerField()))

    @admin.display(description=_("collectivités l'ayant appris"), ordering="shared")
    def shared_by(self, alias: CatalogAlias) -> int:
        return alias.shared or 0

    def _each(self, request: HttpRequest, queryset: QuerySet[CatalogAlias], apply, message) -> None:
        """Apply a service to every selected alias, all or nothing; ``message(count)`` says what was done."""
        done = 0
        try:
            with transaction.atomic():
                for alias in queryset.order_by("pk"):
                    if not CatalogAlias.objects.filter(pk=alias.pk).exists():
                        continue  # merged into an alias handled earlier in this batch
                    apply(alias=alias, actor=request.user)
                    done += 1
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(request, message(done), messages.SUCCESS)

    @admin.action(description=_("Refuser (ne sert plus aucun rapprochement)"))
    def reject(self, request: HttpRequest, queryset: QuerySet[CatalogAlias]) -> None:
        self._each(
            request,
            queryset,
            services.alias_reject,
            lambda n: ngettext("%(count)d synonyme refusé.", "%(count)d synonymes refusés.", n) % {"count": n},
        )

    @admin.action(description=_("Accepter pour tous"))
    def accept_for_all(self, request: HttpRequest, queryset: QuerySet[CatalogAlias]) -> None:
        """Make the selected learnt aliases global (merging duplicates): they then serve every collectivité."""
        self._each(
            request,
            queryset,
            services.alias_accept_for_all,
            lambda n: (
                ngettext(
                    "%(count)d synonyme est désormais valable pour tous.",
                    "%(count)d synonymes sont désormais valables pour tous.",
                    n,
                )
                % {"count": n}
            ),
        )
