"""Public procedure simulator: `POST /api/v1/procedure-simulations/`.

Anonymous access is allowed on purpose (a public tool for any collectivité), so the endpoint opts out of
the default membership permission and is throttled with the "public" rate. It stores nothing.
"""

from decimal import Decimal

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from procurement.rules import (
    MAX_AMOUNT,
    MAX_DURATION_MONTHS,
    MAX_LOTS,
    MAX_RENEWALS,
    BuyerKind,
    FrameworkBasis,
    Lot,
    Nature,
    ProcedureInput,
    ProcedureResult,
    evaluate,
)

MIN_AMOUNT = Decimal("0.01")


def _amount_field(label: str, **kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=15,
        decimal_places=2,
        max_value=MAX_AMOUNT,
        error_messages={
            "invalid": f"{label} : indiquez un montant en euros HT, par exemple « 12500.00 ».",
            "max_value": f"{label} : le montant dépasse 1 000 milliards d'euros, vérifiez la saisie.",
            "min_value": f"{label} : le montant doit être strictement positif."
            if kwargs.get("min_value", 0) > 0
            else f"{label} : le montant ne peut pas être négatif.",
            "max_decimal_places": f"{label} : au plus deux chiffres après la virgule (centimes).",
            "max_digits": f"{label} : montant trop long.",
            "required": f"{label} : ce champ est obligatoire.",
            "null": f"{label} : ce champ ne peut pas être vide.",
        },
        **kwargs,
    )


@extend_schema_field({"type": "string", "enum": [n.value for n in Nature]})
class NatureField(serializers.ChoiceField):
    """Own enum component (ProcedureSimulationInputNatureEnum): never collides with other `nature` enums."""


@extend_schema_field({"type": "string", "enum": [k.value for k in BuyerKind]})
class BuyerKindField(serializers.ChoiceField):
    """Own enum component, like NatureField."""


class LotInputSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    estimated_value_ht = _amount_field(
        "Montant du lot", min_value=MIN_AMOUNT, help_text="Valeur du lot pour une période (période ferme), € HT."
    )
    member = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text="Membre du groupement (facultatif)."
    )


class ProcedureSimulationInputSerializer(serializers.Serializer):
    nature = NatureField(
        choices=[(n.value, n.value) for n in Nature],
        error_messages={"invalid_choice": "Nature inconnue « {input} » : supplies, services ou works."},
    )
    buyer_kind = BuyerKindField(
        choices=[(k.value, k.value) for k in BuyerKind],
        help_text="local : collectivités et établissements locaux uniquement ; central : au moins une autorité "
        "publique centrale (État, UGAP…).",
        error_messages={"invalid_choice": "Type d'acheteur inconnu « {input} » : local ou central."},
    )
    launch_date = serializers.DateField(
        help_text="Date d'envoi de l'avis d'appel à la concurrence ou, à défaut, de lancement de la consultation.",
        error_messages={"invalid": "Date invalide : utilisez le format AAAA-MM-JJ."},
    )
    lots = LotInputSerializer(
        many=True,
        allow_empty=False,
        max_length=MAX_LOTS,
        error_messages={"empty": "Indiquez au moins un lot.", "not_a_list": "Les lots doivent former une liste."},
    )
    duration_months = serializers.IntegerField(
        min_value=1,
        max_value=MAX_DURATION_MONTHS,
        help_text="Durée de la période ferme, en mois.",
        error_messages={"min_value": "La durée doit être d'au moins un mois.", "invalid": "Indiquez un nombre entier."},
    )
    renewals = serializers.IntegerField(
        min_value=0,
        max_value=MAX_RENEWALS,
        default=0,
        help_text="Nombre de reconductions, chacune de la durée de la période ferme.",
        error_messages={"min_value": "Le nombre de reconductions ne peut pas être négatif."},
    )
    options_value_ht = _amount_field(
        "Options", min_value=Decimal("0"), default=Decimal("0"), help_text="Valeur des options, toute durée, € HT."
    )
    framework_agreement = serializers.BooleanField(default=False, help_text="Le marché est un accord-cadre.")
    framework_maximum_ht = _amount_field(
        "Maximum de l'accord-cadre", min_value=MIN_AMOUNT, required=False, allow_null=True, default=None
    )
    framework_maximum_basis = serializers.ChoiceField(
        choices=[(b.value, b.value) for b in FrameworkBasis],
        default=FrameworkBasis.PERIOD.value,
        help_text="period : maximum par période (multiplié par le nombre de périodes) ; total : toute la durée.",
    )
    duration_justification = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Justification d'une durée d'accord-cadre supérieure à quatre ans (L2125-1).",
    )

    def to_input(self) -> ProcedureInput:
        data = self.validated_data
        return ProcedureInput(
            nature=data["nature"],
            buyer_kind=data["buyer_kind"],
            launch_date=data["launch_date"],
            lots=[Lot(lot["label"], lot["estimated_value_ht"], lot["member"]) for lot in data["lots"]],
            duration_months=data["duration_months"],
            renewals=data["renewals"],
            options_value_ht=data["options_value_ht"],
            framework_agreement=data["framework_agreement"],
            framework_maximum_ht=data["framework_maximum_ht"],
            framework_maximum_basis=data["framework_maximum_basis"],
            duration_justification=data["duration_justification"],
        )


class PublicityItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    reference = serializers.CharField()
    mandatory = serializers.BooleanField()


class SmallLotSerializer(serializers.Serializer):
    label = serializers.CharField()
    estimated_value_ht = serializers.DecimalField(max_digits=16, decimal_places=2, source="total_value_ht")
    without_publicity = serializers.BooleanField()


class LotValueSerializer(serializers.Serializer):
    label = serializers.CharField()
    value_per_period_ht = serializers.DecimalField(max_digits=16, decimal_places=2)
    total_value_ht = serializers.DecimalField(max_digits=16, decimal_places=2)


class ThresholdUsedSerializer(serializers.Serializer):
    key = serializers.CharField()
    nature = serializers.CharField()
    buyer_kind = serializers.CharField()
    value = serializers.CharField(help_text="Montant en euros HT (ou proportion), en décimal.")
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(allow_null=True)
    source = serializers.CharField()
    confidence = serializers.CharField()


class ProcedureSimulationResultSerializer(serializers.Serializer):
    total_value_ht = serializers.DecimalField(max_digits=16, decimal_places=2)
    procedure = serializers.ChoiceField(choices=["dispense", "mapa", "formalisee"])
    procedure_label = serializers.CharField()
    publicity = PublicityItemSerializer(many=True)
    dce_on_buyer_profile = serializers.ChoiceField(choices=["required", "if_notice", "not_required"])
    small_lots = SmallLotSerializer(many=True)
    small_lot_alternatives = SmallLotSerializer(many=True)
    small_lots_cap_ht = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    min_deadline_days = serializers.IntegerField(allow_null=True)
    periods = serializers.IntegerField()
    total_duration_months = serializers.IntegerField()
    lots = LotValueSerializer(many=True)
    references = serializers.ListField(child=serializers.CharField())
    explanation = serializers.CharField()
    warnings = serializers.ListField(child=serializers.CharField())
    thresholds_used = ThresholdUsedSerializer(many=True)


def _threshold_value(row) -> str:
    return f"{row.value:f}"


def serialize_result(result: ProcedureResult) -> dict:
    data = ProcedureSimulationResultSerializer(result).data
    for row, out in zip(result.thresholds_used, data["thresholds_used"], strict=True):
        out["value"] = _threshold_value(row)
    return data


EXAMPLE_REQUEST = {
    "nature": "supplies",
    "buyer_kind": "local",
    "launch_date": "2026-06-01",
    "lots": [
        {"label": "Ordinateurs portables", "estimated_value_ht": "300000.00"},
        {"label": "Vidéoprojecteurs", "estimated_value_ht": "70000.00"},
        {"label": "Visualiseurs", "estimated_value_ht": "30000.00"},
    ],
    "duration_months": 12,
    "renewals": 0,
    "options_value_ht": "0.00",
    "framework_maximum_ht": None,
}
EXAMPLE_RESPONSE = {
    "total_value_ht": "400000.00",
    "procedure": "formalisee",
    "procedure_label": "Procédure formalisée",
    "publicity": [
        {"code": "boamp", "label": "Avis de marché au BOAMP", "reference": "R2131-16 CCP", "mandatory": True},
        {
            "code": "joue",
            "label": "Avis de marché au JOUE (formulaires eForms)",
            "reference": "R2131-16 CCP",
            "mandatory": True,
        },
    ],
    "dce_on_buyer_profile": "required",
    "small_lots": [{"label": "Visualiseurs", "estimated_value_ht": "30000.00", "without_publicity": True}],
    "small_lot_alternatives": [
        {"label": "Vidéoprojecteurs", "estimated_value_ht": "70000.00", "without_publicity": False}
    ],
    "small_lots_cap_ht": "80000.00",
    "min_deadline_days": 30,
    "references": ["R2121-1 CCP", "R2131-16 CCP", "R2161-2 CCP"],
    "explanation": "La valeur estimée du besoin est de 400 000,00 € HT. …",
    "warnings": [],
    "thresholds_used": [
        {
            "key": "eu_threshold",
            "nature": "supplies",
            "buyer_kind": "local",
            "value": "216000",
            "valid_from": "2026-01-01",
            "valid_to": "2027-12-31",
            "source": "L2124-1 CCP ; … règlement délégué (UE) 2025/2152 du 22 octobre 2025",
            "confidence": "[V]",
        }
    ],
}


class ProcedureSimulationView(APIView):
    """Simulate the procedure band, publicity and small lots of a planned consultation (nothing is stored)."""

    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "public"

    @extend_schema(
        operation_id="procedure_simulation_create",
        summary="Simuler la procédure applicable à un achat",
        description=(
            "Calcule la valeur estimée du besoin (tous lots, reconductions et options, ou maximum de "
            "l'accord-cadre), la procédure (dispense, MAPA, formalisée) selon les seuils en vigueur à la date de "
            "lancement, la publicité, le délai minimal et les petits lots. Montants en euros HT, décimaux en "
            "chaîne. Accès public, limité en débit. Ceci n'est pas un avis juridique."
        ),
        request=ProcedureSimulationInputSerializer,
        responses={
            200: ProcedureSimulationResultSerializer,
            400: OpenApiResponse(description="Données invalides : erreurs par champ, en français."),
            429: OpenApiResponse(description="Trop de requêtes."),
        },
        examples=[
            OpenApiExample("Achat alloti de matériel informatique", value=EXAMPLE_REQUEST, request_only=True),
            OpenApiExample("Résultat", value=EXAMPLE_RESPONSE, response_only=True, status_codes=["200"]),
        ],
        tags=["Simulateur"],
    )
    def post(self, request):
        serializer = ProcedureSimulationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = evaluate(serializer.to_input())  # RulesInputError -> 400 {"code", "detail", "field"}
        return Response(serialize_result(result))
