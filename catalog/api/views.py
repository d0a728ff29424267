"""Public, read-only catalog API: items, families and the CPV nomenclature. Anonymous and throttled."""

from django.db.models import Count, Prefetch, Q, QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import AllowAny
from rest_framework.throttling import ScopedRateThrottle

from catalog import selectors
from catalog.api.serializers import (
    CatalogItemDetailSerializer,
    CatalogItemSerializer,
    CpvCodeSerializer,
    FamilySerializer,
)
from catalog.models import AliasStatus, CatalogAlias, CatalogItem, CpvCode, Family
from procurement.api.pagination import Pagination

TAGS = ["Catalogue"]


class CatalogPagination(Pagination):
    page_size = 50
    max_page_size = 200


class PublicMixin:
    permission_classes = [AllowAny]  # the catalog is public; the default permission requires a membership
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "public"
    pagination_class = CatalogPagination


class CatalogItemFilter(filters.FilterSet):
    family = filters.CharFilter(field_name="family__code", help_text="Code de famille (voir `/catalog/families/`).")
    search = filters.CharFilter(method="filter_search", help_text="Mots du libellé, d'un synonyme ou code CPV.")

    class Meta:
        model = CatalogItem
        fields: list[str] = []

    def filter_search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        ids = selectors.catalog_items(search=value).values("id")
        return qs.filter(id__in=ids)


@extend_schema_view(
    get=extend_schema(
        summary="Articles du catalogue",
        description="Articles actifs du catalogue de référence, paginés. Accès anonyme, limité en débit.",
        tags=TAGS,
    )
)
class CatalogItemList(PublicMixin, generics.ListAPIView):
    serializer_class = CatalogItemSerializer
    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]
    filterset_class = CatalogItemFilter
    ordering_fields = ["label", "reference_unit_price_ht", "code"]
    ordering = ["family__position", "label"]

    def get_queryset(self) -> QuerySet[CatalogItem]:
        return selectors.catalog_items()


@extend_schema_view(
    get=extend_schema(summary="Un article du catalogue", description="Article actif, par code.", tags=TAGS)
)
class CatalogItemDetail(PublicMixin, generics.RetrieveAPIView):
    serializer_class = CatalogItemDetailSerializer
    lookup_field = "code"

    def get_queryset(self) -> QuerySet[CatalogItem]:
        aliases = CatalogAlias.objects.filter(collectivity__isnull=True, status=AliasStatus.ACCEPTED).order_by("text")
        return selectors.catalog_items().prefetch_related(Prefetch("aliases", aliases, to_attr="global_aliases"))


@extend_schema_view(
    get=extend_schema(summary="Familles homogènes", description="Familles du catalogue, par position.", tags=TAGS)
)
class FamilyList(PublicMixin, generics.ListAPIView):
    serializer_class = FamilySerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Family]:
        return selectors.families().annotate(item_count=Count("items", filter=Q(items__is_active=True)))


@extend_schema_view(
    get=extend_schema(
        summary="Nomenclature CPV",
        description="Codes CPV 2008, paginés ; `search` : début de code (« 302 ») ou mots du libellé.",
        tags=TAGS,
        parameters=[OpenApiParameter("search", str, description="Début de code CPV ou mots du libellé.")],
    )
)
class CpvCodeList(PublicMixin, generics.ListAPIView):
    serializer_class = CpvCodeSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[CpvCode]:
        return selectors.cpv_codes(search=self.request.query_params.get("search", ""))
