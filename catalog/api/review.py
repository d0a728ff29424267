"""Review queue API: lines waiting for a human look, confirming a match, bulk confirmation.

Querysets come from selectors: lines and campaigns the user cannot see are 404; a viewer who can see a line but
not confirm it gets 403 (the services raise ``PermissionDenied``).
"""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors, services
from catalog.models import CatalogItem, RematchJob
from procurement.models import NeedLine
from procurement.selectors import campaigns_for, get_campaign_for, get_need_line_for, need_lines_for

TAGS = ["Rapprochement"]


class ReviewCandidateSerializer(serializers.Serializer):
    item = serializers.CharField(help_text="Code de l'article")
    label = serializers.CharField()
    family = serializers.CharField()
    score = serializers.FloatField(allow_null=True)


class ReviewLineSerializer(serializers.ModelSerializer):
    collectivity = serializers.CharField(source="collectivity.name", read_only=True)
    catalog_item = serializers.CharField(source="catalog_item.code", allow_null=True, read_only=True, default=None)
    cpv = serializers.CharField(source="cpv_id", allow_null=True, read_only=True)
    candidates = serializers.SerializerMethodField()
    can_confirm = serializers.SerializerMethodField()

    class Meta:
        model = NeedLine
        fields = [
            "id",
            "campaign",
            "collectivity",
            "text",
            "quantity",
            "unit",
            "match_status",
            "match_score",
            "match_explanation",
            "catalog_item",
            "cpv",
            "candidates",
            "can_confirm",
        ]

    @extend_schema(responses=ReviewCandidateSerializer(many=True))
    def get_candidates(self, line: NeedLine) -> list[dict]:
        items = self.context.get("items") or selectors.candidate_items(lines=[line])
        return [
            {
                "item": items[c["item_id"]].code,
                "label": items[c["item_id"]].label,
                "family": items[c["item_id"]].family.code,
                "score": c.get("score"),
            }
            for c in (line.match_candidates or [])
            if c.get("item_id") in items
        ]

    def get_can_confirm(self, line: NeedLine) -> bool:
        confirmable = self.context.get("confirmable", "unknown")
        if confirmable == "unknown":
            return selectors.can_confirm_line(user=self.context["request"].user, line=line)
        return confirmable is None or line.collectivity_id in confirmable


# API names of the review queue's orderings (the pages use French keys)
ORDERINGS = {
    "score": "score",
    "-score": "-score",
    "text": "libelle",
    "-text": "-libelle",
    "collectivity": "membre",
    "-collectivity": "-membre",
    "quantity": "quantite",
    "-quantity": "-quantite",
}


class ReviewFilters(serializers.Serializer):
    campaign = serializers.IntegerField(required=False, help_text="Identifiant de la campagne (sinon : toutes)")
    family = serializers.SlugField(required=False, allow_blank=True)
    min_score = serializers.FloatField(required=False, min_value=0, max_value=100)
    max_score = serializers.FloatField(required=False, min_value=0, max_value=100)
    status = serializers.ChoiceField(
        choices=["review", "unmatched", "all", "confirmed"], required=False, default="review"
    )
    search = serializers.CharField(required=False, allow_blank=True, max_length=200)
    collectivity = serializers.IntegerField(required=False, min_value=1)
    ordering = serializers.ChoiceField(choices=list(ORDERINGS), required=False, default="score")


@extend_schema(
    summary="Lignes à vérifier d'une campagne",
    description=(
        "Lignes au statut « à vérifier » (ou non reconnues avec `status`), avec leurs articles candidats et "
        "scores. Acheteurs : les lignes de leur collectivité ; coordonnateur de la campagne : toutes. Une "
        "campagne que l'utilisateur ne voit pas répond 404."
    ),
    tags=TAGS,
    parameters=[
        OpenApiParameter("campaign", int, description="Campagne ; sans elle, toutes les campagnes visibles"),
        OpenApiParameter("family", str, description="Code de famille de l'article proposé"),
        OpenApiParameter("min_score", float),
        OpenApiParameter("max_score", float),
        OpenApiParameter(
            "status",
            str,
            enum=["review", "unmatched", "all", "confirmed"],
            description="« all » : à vérifier et non reconnues ; « confirmed » : lignes décidées, pour corriger",
        ),
        OpenApiParameter("search", str, description="Mots du besoin exprimé (tous requis ; casse et accents ignorés)"),
        OpenApiParameter("collectivity", int, description="Identifiant de la collectivité membre"),
        OpenApiParameter("ordering", str, enum=list(ORDERINGS), description="Tri (défaut : score croissant)"),
    ],
)
class ReviewList(generics.ListAPIView):
    serializer_class = ReviewLineSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[NeedLine]:
        if getattr(self, "swagger_fake_view", False):
            return NeedLine.objects.none()
        filters = ReviewFilters(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        self.campaign = None
        if "campaign" in data:
            self.campaign = get_campaign_for(user=self.request.user, pk=data["campaign"])
        statuses = ("review", "unmatched") if data["status"] == "all" else (data["status"],)
        return selectors.review_lines_for(
            user=self.request.user,
            campaign=self.campaign,
            statuses=statuses,
            family=data.get("family", ""),
            min_score=data.get("min_score"),
            max_score=data.get("max_score"),
            search=data.get("search", ""),
            collectivity_id=data.get("collectivity"),
            ordering=ORDERINGS[data["ordering"]],
        )

    def list(self, request: Request, *args, **kwargs) -> Response:
        queryset = self.get_queryset()
        page = self.paginate_queryset(queryset)
        lines = list(page if page is not None else queryset)
        context = {
            **self.get_serializer_context(),
            "items": selectors.candidate_items(lines=lines),
            "confirmable": (
                selectors.confirmable_collectivity_ids(user=request.user, campaign=self.campaign)
                if self.campaign is not None
                else "unknown"
            ),
        }
        data = ReviewLineSerializer(lines, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)


def _line_response(request: Request, pk: int) -> Response:
    """A line as the review API shows it, read again after a decision on it."""
    line = get_need_line_for(user=request.user, pk=pk)
    return Response(ReviewLineSerializer(line, context={"request": request}).data)


class ConfirmInput(serializers.Serializer):
    item = serializers.SlugField(help_text="Code de l'article du catalogue")


@extend_schema(
    summary="Confirmer ou corriger le rapprochement d'une ligne",
    description=(
        "La ligne devient « confirmée » avec cet article ; sa formulation devient un synonyme de la collectivité."
    ),
    tags=TAGS,
    request=ConfirmInput,
    responses=ReviewLineSerializer,
)
class NeedLineConfirm(APIView):
    def post(self, request: Request, pk: int) -> Response:
        line = get_need_line_for(user=request.user, pk=pk)
        payload = ConfirmInput(data=request.data)
        payload.is_valid(raise_exception=True)
        item = CatalogItem.objects.active().filter(code=payload.validated_data["item"]).first()
        if item is None:
            raise ValidationError({"item": ["Article inconnu ou retiré du catalogue."]})
        services.need_line_confirm_match(need_line=line, item=item, actor=request.user)
        return _line_response(request, pk)


@extend_schema(
    summary="Déclarer une ligne hors catalogue",
    description=(
        "Aucun article du catalogue ne convient : la ligne devient « confirmée » sans article et garde le code "
        "CPV proposé. Seules les lignes à vérifier ou non reconnues (400 sinon)."
    ),
    tags=TAGS,
    request=None,
    responses=ReviewLineSerializer,
)
class NeedLineOutsideCatalog(APIView):
    def post(self, request: Request, pk: int) -> Response:
        line = get_need_line_for(user=request.user, pk=pk)
        services.need_line_confirm_outside_catalog(need_line=line, actor=request.user)
        return _line_response(request, pk)


class SetCpvInput(serializers.Serializer):
    cpv = serializers.CharField(max_length=12, help_text="Code de la nomenclature CPV : 8 chiffres, clé facultative")


@extend_schema(
    summary="Choisir le code CPV d'une ligne hors catalogue",
    description=(
        "Le code dit dans quel lot de besoins hors catalogue la ligne sera regroupée. Seules les lignes confirmées "
        "sans article et pas encore dans un lot (400 sinon, comme pour un code inconnu)."
    ),
    tags=TAGS,
    request=SetCpvInput,
    responses=ReviewLineSerializer,
)
class NeedLineSetCpv(APIView):
    def post(self, request: Request, pk: int) -> Response:
        line = get_need_line_for(user=request.user, pk=pk)
        data = SetCpvInput(data=request.data)
        data.is_valid(raise_exception=True)
        cpv = services.cpv_code_from_input(data.validated_data["cpv"])
        services.need_line_set_cpv(need_line=line, cpv=cpv, actor=request.user)
        return _line_response(request, pk)


class BulkConfirmInput(serializers.Serializer):
    lines = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=500)


class BulkConfirmOutput(serializers.Serializer):
    confirmed = serializers.IntegerField(help_text="Lignes confirmées")
    same_wording = serializers.IntegerField(
        help_text="Autres lignes de la même collectivité et de même libellé, rapprochées du même article"
    )


@extend_schema(
    summary="Confirmer le premier article proposé de plusieurs lignes",
    description="Tout ou rien : une ligne refusée annule l'ensemble. Les lignes sans article proposé sont ignorées.",
    tags=TAGS,
    request=BulkConfirmInput,
    responses={200: BulkConfirmOutput},
)
class ReviewBulkConfirm(APIView):
    def post(self, request: Request) -> Response:
        payload = BulkConfirmInput(data=request.data)
        payload.is_valid(raise_exception=True)
        ids = set(payload.validated_data["lines"])
        lines = list(need_lines_for(user=request.user).filter(pk__in=ids))
        if len(lines) != len(ids):
            raise NotFound("Ligne de besoin introuvable.")
        outcome = services.need_lines_confirm_first_candidate(lines=lines, actor=request.user)
        return Response(BulkConfirmOutput(outcome).data, status=status.HTTP_200_OK)


class RematchInput(serializers.Serializer):
    campaign = serializers.IntegerField(min_value=1, help_text="Identifiant de la campagne")


class RematchJobOutput(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", help_text="Statut en clair")
    statuses = serializers.DictField(
        child=serializers.IntegerField(), help_text="Statut → nombre de lignes, après (une fois terminé)"
    )

    class Meta:
        model = RematchJob
        fields = [
            "id",
            "campaign",
            "status",
            "status_label",
            "progress",
            "considered",
            "changed",
            "statuses",
            "error",
            "created_at",
            "finished_at",
        ]
        extra_kwargs = {
            "status": {"help_text": "pending, running, done ou failed"},
            "progress": {"help_text": "Avancement en pour cent"},
            "considered": {"help_text": "Lignes non confirmées rapprochées à nouveau"},
            "changed": {"help_text": "Lignes dont le rapprochement a changé"},
            "error": {"help_text": "Pourquoi la relance a échoué"},
        }


@extend_schema(
    summary="Relancer le rapprochement des lignes non confirmées d'une campagne",
    description=(
        "Après un ajout au catalogue ou de nouveaux synonymes : les lignes en attente, à vérifier ou non "
        "reconnues sont rapprochées à nouveau ; les lignes confirmées ou déjà rapprochées ne changent pas. "
        "Coordonnateur : toutes les lignes ; acheteur : celles de ses collectivités. La relance est faite en "
        "arrière-plan : la réponse (202) donne la relance, à suivre sur son adresse ; une relance déjà en cours "
        "pour la campagne est rendue au lieu d'une nouvelle. Campagne invisible : 404."
    ),
    tags=TAGS,
    request=RematchInput,
    responses={202: RematchJobOutput},
)
class ReviewRematch(APIView):
    def post(self, request: Request) -> Response:
        payload = RematchInput(data=request.data)
        payload.is_valid(raise_exception=True)
        campaign = get_campaign_for(user=request.user, pk=payload.validated_data["campaign"])
        job = services.campaign_rematch_start(campaign=campaign, actor=request.user)
        job.refresh_from_db()  # without a broker, it has run already
        return Response(RematchJobOutput(job).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(
    summary="Où en est une relance du rapprochement",
    description="Une relance demandée par l'utilisateur, dans une campagne qu'il voit ; sinon 404.",
    tags=TAGS,
    responses={200: RematchJobOutput},
)
class ReviewRematchDetail(generics.RetrieveAPIView):
    serializer_class = RematchJobOutput

    def get_queryset(self) -> QuerySet[RematchJob]:
        return RematchJob.objects.filter(
            requested_by=self.request.user, campaign__in=campaigns_for(user=self.request.user)
        )
