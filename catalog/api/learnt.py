"""Wordings a collectivité taught the matching engine: the list, and withdrawing one confirmed by mistake.

Querysets come from selectors: an alias of another collectivité (or a global one) is 404; a viewer of the
collectivité reads but may not withdraw (403, the service says why)."""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from catalog import selectors, services
from catalog.models import CatalogAlias

TAGS = ["Rapprochement"]


class LearntAliasSerializer(serializers.ModelSerializer):
    item = serializers.CharField(source="item.code", read_only=True, help_text="Code de l'article")
    item_label = serializers.CharField(source="item.label", read_only=True)
    collectivity = serializers.CharField(source="collectivity.name", read_only=True)
    created_by = serializers.SerializerMethodField(help_text="Qui a confirmé la ligne")

    class Meta:
        model = CatalogAlias
        fields = [
            "id",
            "text",
            "normalized",
            "item",
            "item_label",
            "collectivity",
            "status",
            "created_at",
            "created_by",
        ]

    def get_created_by(self, alias: CatalogAlias) -> str | None:
        user = alias.created_by
        return str(user) if user else None  # User.__str__: full name, else username


@extend_schema_view(
    get=extend_schema(
        summary="Formulations apprises par mes collectivités",
        description="Les plus récentes d'abord. `search` : mots de la formulation ou de l'article (accents ignorés).",
        tags=TAGS,
        parameters=[OpenApiParameter("search", str)],
    ),
)
class LearntAliasList(generics.ListAPIView):
    serializer_class = LearntAliasSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[CatalogAlias]:
        if getattr(self, "swagger_fake_view", False):
            return CatalogAlias.objects.none()
        search = self.request.query_params.get("search", "")[:200]
        return selectors.learnt_aliases_for(user=self.request.user, search=search)


@extend_schema_view(
    get=extend_schema(summary="Une formulation apprise", tags=TAGS),
    delete=extend_schema(
        summary="Retirer une formulation apprise",
        description=(
            "Les prochains rapprochements ne l'utilisent plus ; les lignes déjà rapprochées gardent leur article. "
            "Acheteurs et coordonnateurs de la collectivité seulement ; une formulation refusée par un "
            "administrateur reste refusée (400)."
        ),
        tags=TAGS,
        responses={204: None},
    ),
)
class LearntAliasDetail(generics.RetrieveDestroyAPIView):
    serializer_class = LearntAliasSerializer

    def get_object(self) -> CatalogAlias:
        return selectors.get_learnt_alias_for(user=self.request.user, pk=self.kwargs["pk"])

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        services.alias_forget(alias=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
