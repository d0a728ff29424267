"""Public demand API: anonymous, throttled, read-only, snapshot fields only."""

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.filters import SearchFilter
from rest_framework.permissions import AllowAny
from rest_framework.throttling import ScopedRateThrottle

from procurement.api.pagination import Pagination
from tenders.api.serializers import PublicDemandSerializer
from tenders.models import Publication
from tenders.selectors_public import ORDERINGS, DemandFilters, filter_publications, published_publications


class PublicPagination(Pagination):
    page_size = 20
    max_page_size = 100


class PublicDemandFilter(filters.FilterSet):
    family = filters.CharFilter(method="filter_family", help_text="Code de famille (voir `families`).")
    territory = filters.CharFilter(method="filter_territory", help_text="Code de territoire (voir `territories`).")
    ordering = filters.ChoiceFilter(
        method="filter_ordering",
        choices=[(key, key) for key in ORDERINGS],
        help_text="Tri : date de publication ou lancement prévu (préfixe « - » : décroissant).",
    )

    class Meta:
        model = Publication
        fields: list[str] = []

    def filter_family(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return filter_publications(qs, filters=DemandFilters(family=value))

    def filter_territory(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return filter_publications(qs, filters=DemandFilters(territory=value))

    def filter_ordering(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return filter_publications(qs, filters=DemandFilters(ordering=value))


class PublicDemandMixin:
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "public"
    serializer_class = PublicDemandSerializer

    def get_queryset(self) -> QuerySet[Publication]:
        return published_publications().order_by("-published_at", "-pk")


@extend_schema_view(
    get=extend_schema(
        summary="Demandes agrégées publiées",
        description="Publications en ligne des groupements de commandes, paginées. Accès anonyme, limité en débit.",
        tags=["Marchés à venir"],
        parameters=[OpenApiParameter("search", str, description="Recherche dans l'intitulé et la présentation.")],
    )
)
class PublicDemandList(PublicDemandMixin, generics.ListAPIView):
    pagination_class = PublicPagination
    filter_backends = [filters.DjangoFilterBackend, SearchFilter]
    filterset_class = PublicDemandFilter
    search_fields = ["title", "summary"]


@extend_schema_view(
    get=extend_schema(
        summary="Une demande agrégée publiée",
        description="Le contenu figé d'une publication en ligne ; 404 si elle est retirée, remplacée ou inconnue.",
        tags=["Marchés à venir"],
    )
)
class PublicDemandDetail(PublicDemandMixin, generics.RetrieveAPIView):
    pass
