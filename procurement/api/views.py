"""REST API of the core domain. Querysets come from selectors: foreign objects are 404, never 403."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from procurement import selectors, services
from procurement.api.serializers import (
    CampaignSerializer,
    CollectivitySerializer,
    GroupingCreateSerializer,
    GroupingMemberSerializer,
    GroupingSerializer,
    NeedLineInputSerializer,
    NeedLineSerializer,
    NeedLineUpdateSerializer,
    ParticipationSerializer,
    resolve_site,
)
from procurement.models import CampaignParticipation


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    memberships = serializers.ListField(child=serializers.DictField())


class MeView(APIView):
    @extend_schema(summary="Utilisateur connecté et ses rattachements", responses=MeSerializer)
    def get(self, request):
        memberships = request.user.memberships.select_related("collectivity")
        return Response(
            {
                "username": request.user.username,
                "name": str(request.user),
                "memberships": [
                    {"collectivity": CollectivitySerializer(m.collectivity).data, "role": m.role} for m in memberships
                ],
            }
        )


class CampaignList(generics.ListAPIView):
    serializer_class = CampaignSerializer
    filterset_fields = ["status"]
    search_fields = ["title", "scope"]
    ordering_fields = ["opens_on", "closes_on", "title"]
    ordering = ["-opens_on"]

    def get_queryset(self):
        return selectors.campaigns_for(user=self.request.user)


class CampaignDetail(generics.RetrieveAPIView):
    serializer_class = CampaignSerializer

    def get_object(self):
        return selectors.get_campaign_for(user=self.request.user, pk=self.kwargs["pk"])


class CampaignParticipations(generics.ListAPIView):
    serializer_class = ParticipationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CampaignParticipation.objects.none()
        campaign = selectors.get_campaign_for(user=self.request.user, pk=self.kwargs["pk"])
        return selectors.participations_for(user=self.request.user, campaign=campaign)


class NeedLineListCreate(generics.ListCreateAPIView):
    serializer_class = NeedLineSerializer
    filterset_fields = {
        "campaign": ["exact"],
        "collectivity": ["exact"],
        "match_status": ["exact", "in"],
        "catalog_item__family__code": ["exact"],
    }
    search_fields = ["text", "catalog_item__label"]
    ordering_fields = ["id", "quantity", "match_score", "created_at"]
    ordering = ["id"]

    def get_queryset(self):
        return selectors.need_lines_for(user=self.request.user)

    @extend_schema(request=NeedLineInputSerializer, responses={201: NeedLineSerializer})
    def post(self, request, *args, **kwargs):
        data = NeedLineInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        campaign = selectors.get_campaign_for(user=request.user, pk=values.pop("campaign"))
        declaring = selectors.declaring_collectivities_for(user=request.user, campaign=campaign)
        collectivity_id = values.pop("collectivity", None)
        if collectivity_id is None:
            if declaring.count() != 1:
                raise ValidationError({"collectivity": ["Précisez la collectivité pour laquelle vous déclarez."]})
            collectivity = declaring.get()
        else:
            collectivity = get_object_or_404(declaring, pk=collectivity_id)
        values["site"] = resolve_site(values.get("site"))
        line = services.need_line_create(campaign=campaign, collectivity=collectivity, actor=request.user, **values)
        line = selectors.need_lines_for(user=request.user).get(pk=line.pk)
        return Response(NeedLineSerializer(line).data, status=status.HTTP_201_CREATED)


class NeedLineDetail(generics.RetrieveAPIView):
    serializer_class = NeedLineSerializer

    def get_object(self):
        return selectors.get_need_line_for(user=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(request=NeedLineUpdateSerializer, responses={200: NeedLineSerializer})
    def patch(self, request, pk: int):
        line = self.get_object()
        data = NeedLineUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        if "site" in changes:
            changes["site"] = resolve_site(changes["site"])
        services.need_line_update(line=line, actor=request.user, **changes)
        return Response(NeedLineSerializer(self.get_object()).data)

    @extend_schema(responses={204: OpenApiResponse(description="Ligne supprimée")})
    def delete(self, request, pk: int):
        services.need_line_delete(line=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupingListCreate(generics.ListCreateAPIView):
    serializer_class = GroupingSerializer
    filterset_fields = ["status", "campaign"]
    search_fields = ["reference", "title"]
    ordering_fields = ["created_at", "reference"]
    ordering = ["-created_at"]

    def get_queryset(self):
        return selectors.groupings_for(user=self.request.user)

    @extend_schema(request=GroupingCreateSerializer, responses={201: GroupingSerializer})
    def post(self, request, *args, **kwargs):
        data = GroupingCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        campaign = selectors.get_campaign_for(user=request.user, pk=values.pop("campaign"))
        families = values.pop("families")
        grouping = services.grouping_create_from_campaign(
            campaign=campaign, actor=request.user, family_ids=[f.pk for f in families], **values
        )
        return Response(GroupingSerializer(grouping).data, status=status.HTTP_201_CREATED)


class GroupingDetailSerializer(GroupingSerializer):
    members = GroupingMemberSerializer(many=True)
    totals = serializers.DictField()
    lots = serializers.ListField(child=serializers.DictField())

    class Meta(GroupingSerializer.Meta):
        fields = [*GroupingSerializer.Meta.fields, "members", "totals", "lots"]


class GroupingDetail(APIView):
    @extend_schema(summary="Groupement, ses membres et les totaux de ses lots", responses=GroupingDetailSerializer)
    def get(self, request, pk: int):
        from tenders.selectors import grouping_totals

        grouping = selectors.get_grouping_for(user=request.user, pk=pk)
        visible = selectors.visible_member_ids(user=request.user, grouping=grouping)
        totals = grouping_totals(grouping=grouping, collectivity_ids=visible)
        return Response(
            {
                **GroupingSerializer(grouping).data,
                "members": GroupingMemberSerializer(selectors.grouping_members(grouping=grouping), many=True).data,
                "totals": {
                    "quantity": totals.quantity,
                    "estimated_value_ht": str(totals.value_ht),
                    "lines": totals.lines,
                    "members": totals.member_count,
                    "sites": totals.site_count,
                },
                "lots": [
                    {
                        "number": s.lot.number,
                        "title": s.lot.title,
                        "family": s.lot.family.code if s.lot.family else None,
                        "cpv": s.lot.cpv_id,
                        "quantity": s.quantity,
                        "estimated_value_ht": str(s.value_ht),
                        "lines": s.lines,
                        "members": [
                            {
                                "collectivity": m.collectivity_id,
                                "name": m.collectivity_name,
                                "quantity": m.quantity,
                                "estimated_value_ht": str(m.value_ht),
                            }
                            for m in s.members
                        ],
                        "sites": [
                            {
                                "uai": site.site_uai or None,
                                "name": site.site_name,
                                "collectivity": site.collectivity_id,
                                "quantity": site.quantity,
                            }
                            for site in s.sites
                        ],
                    }
                    for s in totals.lots
                ],
            }
        )
