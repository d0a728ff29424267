"""Matching free texts without saving anything: what the engine reads in a wording, for integrators.

The same engine, catalog and aliases as the need lines: a collectivité's learnt wordings count only for its own
members (``collectivity`` is ignored for anyone else).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import matching, selectors, services
from catalog.models import CatalogItem

MAX_TEXTS = 500


class MatchInput(serializers.Serializer):
    texts = serializers.ListField(
        child=serializers.CharField(max_length=1000, allow_blank=True, trim_whitespace=False),
        min_length=1,
        max_length=MAX_TEXTS,
        help_text=f"Libellés à rapprocher (au plus {MAX_TEXTS} par appel)",
    )
    collectivity = serializers.IntegerField(
        required=False, help_text="Collectivité dont les synonymes appris comptent (si vous en êtes membre)"
    )


class MatchCandidateSerializer(serializers.Serializer):
    item = serializers.CharField(help_text="Code de l'article")
    label = serializers.CharField()
    score = serializers.FloatField()


class MatchResultSerializer(serializers.Serializer):
    text = serializers.CharField()
    quantity = serializers.IntegerField(allow_null=True, help_text="Quantité lue au début du libellé")
    unit = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["matched", "review", "unmatched"])
    score = serializers.FloatField()
    item = serializers.CharField(allow_null=True, help_text="Code de l'article retenu")
    cpv = serializers.CharField(allow_blank=True)
    cpv_label = serializers.CharField(allow_blank=True)
    explanation = serializers.CharField()
    candidates = MatchCandidateSerializer(many=True)


class MatchOutput(serializers.Serializer):
    results = MatchResultSerializer(many=True)


@extend_schema(
    summary="Rapprocher des libellés du catalogue, sans rien enregistrer",
    description=(
        "Pour chaque libellé : quantité lue, statut (`matched`, `review`, `unmatched`), score, article, code CPV "
        "(celui de l'article, ou un code proposé dans la nomenclature), explication et trois candidats."
    ),
    tags=["Rapprochement"],
    request=MatchInput,
    responses={200: MatchOutput},
)
class MatchTexts(APIView):
    def post(self, request: Request) -> Response:
        payload = MatchInput(data=request.data)
        payload.is_valid(raise_exception=True)
        texts = payload.validated_data["texts"]
        scope = selectors.match_scope_for(user=request.user, wanted=payload.validated_data.get("collectivity"))
        results = services.match_texts(texts=texts, collectivity_id=scope)
        ids = {r.item_id for r in results} | {c.item_id for r in results for c in r.candidates}
        codes = dict(CatalogItem.objects.filter(pk__in=ids - {None}).values_list("pk", "code"))
        return Response({"results": [_result(text, r, codes) for text, r in zip(texts, results, strict=True)]})


def _result(text: str, result: matching.MatchResult, codes: dict) -> dict:
    quantity, unit, _rest = matching.extract_quantity(text)
    return {
        "text": text,
        "quantity": quantity,
        "unit": unit,
        "status": result.status,
        "score": result.score,
        "item": codes.get(result.item_id),
        "cpv": result.cpv,
        "cpv_label": result.cpv_label,
        "explanation": result.explanation,
        "candidates": [{"item": codes.get(c.item_id), "label": c.label, "score": c.score} for c in result.candidates],
    }
