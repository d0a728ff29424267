"""API of the grouping editor, the membership workflow, the per-member breakdown and the withdrawal what-if.

Outsiders get 404 (the grouping is resolved through `get_grouping_for`); members who do not coordinate the
grouping get 403 on editing routes. Every editing call sends the `expected_version` it read (from
`GET groupings/{id}/lots/`); a stale version is refused with 409 and nothing changes. Successful edits answer
with the editor state at its new version.
"""

from dataclasses import asdict

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from procurement import selectors, services
from procurement.api.serializers import GroupingMemberSerializer
from procurement.errors import PermissionDenied
from procurement.models import Collectivity, CostSharingKey, Grouping, GroupingMember, GroupingMemberStatus

ERRORS = {
    400: OpenApiResponse(description="Opération refusée par une règle métier (message en français)."),
    403: OpenApiResponse(description="Réservé au coordonnateur du groupement."),
    404: OpenApiResponse(description="Groupement introuvable (ou d'une autre collectivité)."),
    409: OpenApiResponse(description="Le groupement a été modifié depuis la lecture : relisez-le et recommencez."),
}


# -------------------------------------------------------------------------------------------- inputs


class VersionedInput(serializers.Serializer):
    expected_version = serializers.IntegerField(
        min_value=1, help_text="Version du groupement lue avant la modification (champ `version`)."
    )


class LineIds(serializers.ListField):
    child = serializers.IntegerField(min_value=1)


class MoveLinesInput(VersionedInput):
    lines = LineIds(min_length=1, help_text="Identifiants des lignes de besoin à déplacer (toutes dans ce lot).")
    target_lot = serializers.IntegerField(min_value=1, help_text="Numéro du lot de destination.")
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class SplitInput(VersionedInput):
    by = serializers.ChoiceField(
        choices=[("member", "Un lot par membre"), ("lines", "Les lignes choisies dans un nouveau lot")]
    )
    lines = LineIds(required=False, default=list)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class MergeInput(VersionedInput):
    lots = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=2)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class LotUpdateInput(VersionedInput):
    title = serializers.CharField(max_length=200, required=False)
    cpv = serializers.CharField(max_length=10, required=False, help_text="Code CPV, clé facultative : 30213200-7.")
    description = serializers.CharField(required=False, allow_blank=True)


class ExcludeInput(VersionedInput):
    lines = LineIds(min_length=1)
    reason = serializers.CharField(max_length=300, help_text="Motif de l'exclusion, conservé avec la ligne.")


class ReinstateInput(VersionedInput):
    lines = LineIds(min_length=1)
    lot = serializers.IntegerField(min_value=1)


class MemberAddInput(serializers.Serializer):
    collectivity = serializers.IntegerField(help_text="Identifiant de la collectivité à inviter.")


class MemberStatusInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=GroupingMemberStatus.choices)
    deliberation_reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    deliberation_date = serializers.DateField(required=False, allow_null=True, default=None)


class LaunchInput(serializers.Serializer):
    launch_date = serializers.DateField()
    expected_version = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)


class CostSharingInput(VersionedInput):
    coordination_costs_ht = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    cost_sharing_key = serializers.ChoiceField(choices=CostSharingKey.choices)


# ------------------------------------------------------------------------------------------- outputs


class NamedRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class EditorLineOut(serializers.Serializer):
    id = serializers.IntegerField()
    collectivity = NamedRef()
    site = serializers.CharField(allow_null=True, help_text="Code UAI du site de livraison.")
    text = serializers.CharField()
    catalog_item = serializers.CharField(allow_null=True)
    quantity = serializers.IntegerField()
    estimated_value_ht = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    reason = serializers.CharField(help_text="Pourquoi la ligne est dans ce lot.")
    state_funding_warning = serializers.CharField(help_text="Vide, ou alerte C. éduc. L211-8 5°.")


class EditorLotOut(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.CharField()
    family = serializers.CharField(allow_null=True)
    cpv = serializers.CharField(allow_null=True)
    quantity = serializers.IntegerField()
    estimated_value_ht = serializers.DecimalField(max_digits=16, decimal_places=2)
    warnings = serializers.ListField(child=serializers.CharField())
    lines = EditorLineOut(many=True)


class ExcludedLineOut(serializers.Serializer):
    id = serializers.IntegerField()
    collectivity = NamedRef()
    text = serializers.CharField()
    quantity = serializers.IntegerField()
    reason = serializers.CharField()
    excluded_at = serializers.DateTimeField(allow_null=True)


class EditorStateOut(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.CharField()
    version = serializers.IntegerField()
    editable = serializers.BooleanField()
    lots = EditorLotOut(many=True)
    excluded_lines = ExcludedLineOut(many=True)


class MemberLotOut(serializers.Serializer):
    lot_number = serializers.IntegerField()
    lot_title = serializers.CharField()
    quantity = serializers.IntegerField()
    value_ht = serializers.DecimalField(max_digits=16, decimal_places=2)
    total_value_ht = serializers.DecimalField(max_digits=18, decimal_places=2)


class MemberBreakdownOut(serializers.Serializer):
    collectivity_id = serializers.IntegerField()
    name = serializers.CharField()
    population = serializers.IntegerField(allow_null=True)
    quantity = serializers.IntegerField()
    value_ht = serializers.DecimalField(max_digits=16, decimal_places=2)
    total_value_ht = serializers.DecimalField(max_digits=18, decimal_places=2)
    share_of_value = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="En % de la valeur totale.")
    cost_share_ht = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    lots = MemberLotOut(many=True)


class StateFundingFlagOut(serializers.Serializer):
    need_line = serializers.IntegerField()
    lot = serializers.IntegerField()
    collectivity = serializers.CharField()
    message = serializers.CharField()
    reference = serializers.CharField()


class BreakdownOut(serializers.Serializer):
    periods = serializers.IntegerField(help_text="Période ferme + reconductions.")
    cost_sharing_key = serializers.CharField()
    cost_sharing_key_label = serializers.CharField()
    coordination_costs_ht = serializers.DecimalField(max_digits=14, decimal_places=2)
    error = serializers.CharField()
    members = MemberBreakdownOut(many=True)
    state_funding_flags = StateFundingFlagOut(many=True)


class AssessmentOut(serializers.Serializer):
    total_value_ht = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    procedure = serializers.CharField(allow_null=True)
    procedure_label = serializers.CharField()
    publicity = serializers.ListField(child=serializers.CharField())
    error = serializers.CharField()


class WithdrawalEffectOut(serializers.Serializer):
    collectivity = NamedRef()
    value_ht = serializers.DecimalField(max_digits=16, decimal_places=2)
    remaining_value_ht = serializers.DecimalField(max_digits=16, decimal_places=2)
    assessment = AssessmentOut()
    band_changes = serializers.BooleanField()
    publicity_changes = serializers.BooleanField()
    lots_emptied = serializers.ListField(child=serializers.CharField())


class WithdrawalSimulationOut(serializers.Serializer):
    baseline = AssessmentOut()
    effects = WithdrawalEffectOut(many=True)


# ------------------------------------------------------------------------------------------- helpers


def editor_state_data(grouping: Grouping) -> dict:
    state = services.grouping_editor_state(grouping=grouping)

    def line(nl) -> dict:
        return {
            "id": nl.pk,
            "collectivity": {"id": nl.collectivity_id, "name": nl.collectivity.name},
            "site": nl.site.uai if nl.site else None,
            "text": nl.text,
            "catalog_item": nl.catalog_item.code if nl.catalog_item else None,
            "quantity": nl.quantity,
            "estimated_value_ht": nl.estimated_value_ht,
            "reason": nl.lot_line.reason,
            "state_funding_warning": nl.state_funding_warning,
        }

    data = {
        "id": grouping.pk,
        "reference": grouping.reference,
        "status": grouping.status,
        "version": grouping.version,
        "editable": grouping.status == "draft",
        "lots": [
            {
                "number": e.lot.number,
                "title": e.lot.title,
                "family": e.lot.family.code if e.lot.family else None,
                "cpv": e.lot.cpv_id,
                "quantity": e.quantity,
                "estimated_value_ht": e.value_ht,
                "warnings": e.warnings,
                "lines": [line(nl) for nl in e.lines],
            }
            for e in state.lots
        ],
        "excluded_lines": [
            {
                "id": nl.pk,
                "collectivity": {"id": nl.collectivity_id, "name": nl.collectivity.name},
                "text": nl.text,
                "quantity": nl.quantity,
                "reason": nl.exclusion_reason,
                "excluded_at": nl.excluded_at,
            }
            for nl in state.excluded
        ],
    }
    return EditorStateOut(data).data


def assessment_data(assessment) -> dict:
    return {
        "total_value_ht": assessment.total_value_ht,
        "procedure": assessment.result.procedure.value if assessment.result else None,
        "procedure_label": assessment.procedure_label,
        "publicity": assessment.publicity,
        "error": assessment.error,
    }


class GroupingAPIView(APIView):
    def get_grouping(self) -> Grouping:
        return selectors.get_grouping_for(user=self.request.user, pk=self.kwargs["pk"])

    def get_managed_grouping(self) -> Grouping:
        grouping = self.get_grouping()
        if not selectors.can_manage_grouping(user=self.request.user, grouping=grouping):
            raise PermissionDenied("Seul le coordonnateur du groupement peut faire cette opération.")
        return grouping

    def read(self, serializer_class) -> dict:
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        return dict(data.validated_data)

    def editor_response(self, grouping: Grouping) -> Response:
        return Response(editor_state_data(Grouping.objects.get(pk=grouping.pk)))


# --------------------------------------------------------------------------------------------- views


class GroupingLots(GroupingAPIView):
    @extend_schema(
        summary="Lots du groupement, leurs lignes et la version à renvoyer pour les modifier",
        responses={200: EditorStateOut, **ERRORS},
    )
    def get(self, request, pk: int):
        return self.editor_response(self.get_managed_grouping())


class LotMoveLines(GroupingAPIView):
    @extend_schema(
        summary="Déplacer des lignes de ce lot vers un autre lot",
        request=MoveLinesInput,
        responses={200: EditorStateOut, **ERRORS},
    )
    def post(self, request, pk: int, number: int):
        grouping = self.get_managed_grouping()
        data = self.read(MoveLinesInput)
        grouping = services.lot_move_lines(
            grouping=grouping,
            actor=request.user,
            expected_version=data["expected_version"],
            lot_number=number,
            need_line_ids=data["lines"],
            target_lot_number=data["target_lot"],
            reason=data["reason"],
        )
        return self.editor_response(grouping)


class LotSplit(GroupingAPIView):
    @extend_schema(
        summary="Scinder un lot : un lot par membre, ou les lignes choisies dans un nouveau lot",
        request=SplitInput,
        responses={200: EditorStateOut, **ERRORS},
    )
    def post(self, request, pk: int, number: int):
        grouping = self.get_managed_grouping()
        data = self.read(SplitInput)
        grouping = services.lot_split(
            grouping=grouping,
            actor=request.user,
            expected_version=data["expected_version"],
            lot_number=number,
            by=data["by"],
            need_line_ids=data["lines"],
            title=data["title"],
        )
        return self.editor_response(grouping)


class LotsMerge(GroupingAPIView):
    @extend_schema(
        summary="Fusionner des lots dans celui de plus petit numéro (les lots sont renumérotés)",
        request=MergeInput,
        responses={200: EditorStateOut, **ERRORS},
    )
    def post(self, request, pk: int):
        grouping = self.get_managed_grouping()
        data = self.read(MergeInput)
        grouping = services.lots_merge(
            grouping=grouping,
            actor=request.user,
            expected_version=data["expected_version"],
            lot_numbers=data["lots"],
            title=data["title"],
        )
        return self.editor_response(grouping)


class LotDetail(GroupingAPIView):
    @extend_schema(
        summary="Renommer un lot, changer son code CPV ou sa description",
        request=LotUpdateInput,
        responses={200: EditorStateOut, **ERRORS},
    )
    def patch(self, request, pk: int, number: int):
        grouping = self.get_managed_grouping()
        data = self.read(LotUpdateInput)
        grouping = services.lot_update(
            grouping=grouping,
            actor=request.user,
            expected_version=data["expected_version"],
            lot_number=number,
            title=data.get("title"),
            cpv=data.get("cpv"),
            description=data.get("description"),
        )
        return self.editor_response(grouping)


class LinesExclude(GroupingAPIView):
    @extend_schema(
        summary="Exclure des lignes du groupement (retour à la campagne, avec le motif)",
        request=ExcludeInput,
        responses={200: EditorStateOut, **ERRORS},
    )
    def post(self, request, pk: int):
        grouping = self.get_managed_grouping()
        data = self.read(ExcludeInput)
        grouping = services.lines_exclude(
            grouping=grouping,
            actor=request.user,
            expected_version=data["expected_version"],
            need_line_ids=data["lines"],
            reason=data["reason"],
        )
        return self.editor_response(grouping)


class LinesReinstate(GroupingAPIView):
    @extend_schema(
        summary="Réintégrer dans un lot des lignes exclues de ce groupement",
        request=ReinstateInput,
        responses={200: EditorStateOut, **ERRORS},
    )
    def post(self, request, pk: int):
        grouping = self.get_managed_grouping()
        data = self.read(ReinstateInput)
        grouping = services.lines_reinstate(
            grouping=grouping,
            actor=request.user,
            expected_version=data["expected_version"],
            need_line_ids=data["lines"],
            lot_number=data["lot"],
        )
        return self.editor_response(grouping)


class GroupingMembersAdd(GroupingAPIView):
    @extend_schema(
        summary="Inviter une collectivité (refusé après le lancement : elle ne bénéficierait pas de la procédure)",
        request=MemberAddInput,
        responses={201: GroupingMemberSerializer, **ERRORS},
    )
    def post(self, request, pk: int):
        grouping = self.get_managed_grouping()
        data = self.read(MemberAddInput)
        collectivity = Collectivity.objects.filter(pk=data["collectivity"]).first()
        if collectivity is None:
            raise serializers.ValidationError({"collectivity": ["Collectivité inconnue."]})
        member = services.grouping_member_add(grouping=grouping, collectivity=collectivity, actor=request.user)
        return Response(GroupingMemberSerializer(member).data, status=status.HTTP_201_CREATED)


class GroupingMemberStatusView(GroupingAPIView):
    @extend_schema(
        summary="Adhésion (avec la délibération), signature de la convention ou retrait d'un membre",
        request=MemberStatusInput,
        responses={200: GroupingMemberSerializer, **ERRORS},
    )
    def post(self, request, pk: int, member_pk: int):
        grouping = self.get_grouping()
        member = GroupingMember.objects.filter(grouping=grouping, pk=member_pk).first()
        if member is None:
            raise Http404("Membre introuvable.")
        data = self.read(MemberStatusInput)
        member = services.grouping_member_set_status(member=member, actor=request.user, **data)
        return Response(GroupingMemberSerializer(member).data)


class GroupingLaunch(GroupingAPIView):
    @extend_schema(
        summary="Lancer la consultation (conventions signées et délibérations enregistrées pour chaque membre)",
        request=LaunchInput,
        responses={200: EditorStateOut, **ERRORS},
    )
    def post(self, request, pk: int):
        grouping = self.get_managed_grouping()
        data = self.read(LaunchInput)
        grouping = services.grouping_launch(
            grouping=grouping,
            actor=request.user,
            launch_date=data["launch_date"],
            expected_version=data["expected_version"],
        )
        return self.editor_response(grouping)


class GroupingCostSharing(GroupingAPIView):
    @extend_schema(
        summary="Frais de coordination et clé de répartition",
        request=CostSharingInput,
        responses={200: BreakdownOut, **ERRORS},
    )
    def put(self, request, pk: int):
        grouping = self.get_managed_grouping()
        data = self.read(CostSharingInput)
        grouping = services.grouping_set_cost_sharing(grouping=grouping, actor=request.user, **data)
        return Response(breakdown_data(grouping=grouping, user=request.user))


def breakdown_data(*, grouping: Grouping, user) -> dict:
    visible = selectors.visible_member_ids(user=user, grouping=grouping)
    breakdown = services.grouping_breakdown(grouping=grouping).only(visible)
    flags = services.state_funding_flags(grouping=grouping, collectivity_ids=visible)
    data = {
        "periods": breakdown.periods,
        "cost_sharing_key": breakdown.key,
        "cost_sharing_key_label": breakdown.key_label,
        "coordination_costs_ht": breakdown.coordination_costs_ht,
        "error": breakdown.error,
        "members": [asdict(m) for m in breakdown.members],
        "state_funding_flags": [
            {
                "need_line": f.line.pk,
                "lot": f.lot_number,
                "collectivity": f.line.collectivity.name,
                "message": f.message,
                "reference": f.reference,
            }
            for f in flags
        ],
    }
    return BreakdownOut(data).data


class GroupingBreakdown(GroupingAPIView):
    @extend_schema(
        summary="Répartition par membre : quantités, valeurs par lot et au total, part des frais de coordination",
        description="Chaque membre ne voit que sa propre ligne ; le coordonnateur voit tous les membres.",
        responses={200: BreakdownOut, 404: ERRORS[404]},
    )
    def get(self, request, pk: int):
        return Response(breakdown_data(grouping=self.get_grouping(), user=request.user))


class GroupingWithdrawalSimulation(GroupingAPIView):
    @extend_schema(
        summary="Effet du retrait de chaque membre sur la valeur, la procédure et la publicité",
        description="Chaque membre ne voit que l'effet de son propre retrait ; le coordonnateur voit tous les membres.",
        responses={200: WithdrawalSimulationOut, 404: ERRORS[404]},
    )
    def get(self, request, pk: int):
        from tenders.selectors import grouping_totals

        grouping = self.get_grouping()
        visible = selectors.visible_member_ids(user=request.user, grouping=grouping)
        members = selectors.grouping_members(grouping=grouping).exclude(status=GroupingMemberStatus.WITHDRAWN)
        if visible is not None:
            members = members.filter(collectivity_id__in=visible)
        simulation = services.grouping_withdrawal_simulation(
            grouping=grouping, totals=grouping_totals(grouping=grouping), members=list(members)
        )
        data = {
            "baseline": assessment_data(simulation.baseline),
            "effects": [
                {
                    "collectivity": {"id": e.member.collectivity_id, "name": e.member.collectivity.name},
                    "value_ht": e.value_ht,
                    "remaining_value_ht": e.remaining_value_ht,
                    "assessment": assessment_data(e.assessment),
                    "band_changes": e.band_changes,
                    "publicity_changes": e.publicity_changes,
                    "lots_emptied": e.lots_emptied,
                }
                for e in simulation.effects
            ],
        }
        return Response(WithdrawalSimulationOut(data).data)
