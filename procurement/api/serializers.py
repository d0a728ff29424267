from rest_framework import serializers

from catalog.models import Family
from procurement.models import (
    Campaign,
    CampaignParticipation,
    Collectivity,
    Grouping,
    GroupingMember,
    NeedLine,
    Site,
    Unit,
)


class CollectivitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Collectivity
        fields = ["id", "name", "kind", "insee_code", "siren"]


class ParticipationSerializer(serializers.ModelSerializer):
    collectivity = CollectivitySerializer()

    class Meta:
        model = CampaignParticipation
        fields = ["collectivity", "status", "invited_at", "submitted_at"]


class CampaignSerializer(serializers.ModelSerializer):
    coordinator = CollectivitySerializer()
    accepts_declarations = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = ["id", "title", "scope", "coordinator", "opens_on", "closes_on", "status", "accepts_declarations"]

    def get_accepts_declarations(self, campaign: Campaign) -> bool:
        return campaign.accepts_declarations()


class NeedLineSerializer(serializers.ModelSerializer):
    """Output: a need line as declared, with its catalog match."""

    collectivity = CollectivitySerializer()
    site = serializers.SlugRelatedField(slug_field="uai", read_only=True)
    catalog_item = serializers.SlugRelatedField(slug_field="code", read_only=True)
    catalog_item_label = serializers.CharField(source="catalog_item.label", default=None, read_only=True)
    cpv = serializers.CharField(source="cpv_id", read_only=True)
    estimated_value_ht = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True, default=None)

    class Meta:
        model = NeedLine
        fields = [
            "id",
            "uuid",
            "campaign",
            "collectivity",
            "site",
            "text",
            "quantity",
            "unit",
            "wished_delivery_date",
            "budget_ht",
            "catalog_item",
            "catalog_item_label",
            "cpv",
            "match_score",
            "match_status",
            "match_explanation",
            "match_candidates",
            "estimated_value_ht",
            "created_at",
            "updated_at",
        ]


class NeedLineInputSerializer(serializers.Serializer):
    """Input: what a buyer declares. `site` is a UAI code; `collectivity` may be omitted with a single membership."""

    campaign = serializers.IntegerField()
    collectivity = serializers.IntegerField(required=False)
    text = serializers.CharField(max_length=1000, trim_whitespace=True)
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)
    unit = serializers.ChoiceField(choices=Unit.choices, default=Unit.UNIT)
    site = serializers.CharField(max_length=8, required=False, allow_blank=True, allow_null=True)
    wished_delivery_date = serializers.DateField(required=False, allow_null=True)
    budget_ht = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True)


class NeedLineUpdateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=1000, required=False)
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False)
    unit = serializers.ChoiceField(choices=Unit.choices, required=False)
    site = serializers.CharField(max_length=8, required=False, allow_blank=True, allow_null=True)
    wished_delivery_date = serializers.DateField(required=False, allow_null=True)
    budget_ht = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True)


def resolve_site(uai: str | None) -> Site | None:
    if not uai:
        return None
    try:
        return Site.objects.get(uai=uai.strip().upper())
    except Site.DoesNotExist:
        raise serializers.ValidationError({"site": [f"Aucun site connu avec le code UAI « {uai} »."]}) from None


class GroupingMemberSerializer(serializers.ModelSerializer):
    collectivity = CollectivitySerializer()

    class Meta:
        model = GroupingMember
        fields = ["id", "collectivity", "status", "deliberation_reference", "deliberation_date"]


class GroupingSerializer(serializers.ModelSerializer):
    coordinator = CollectivitySerializer()

    class Meta:
        model = Grouping
        fields = [
            "id",
            "reference",
            "title",
            "campaign",
            "coordinator",
            "nature",
            "status",
            "planned_launch_date",
            "duration_months",
            "renewals",
            "created_at",
        ]


class GroupingCreateSerializer(serializers.Serializer):
    campaign = serializers.IntegerField()
    title = serializers.CharField(max_length=200)
    families = serializers.SlugRelatedField(slug_field="code", queryset=Family.objects.all(), many=True, default=list)
    cpv_groups = serializers.ListField(
        child=serializers.RegexField(r"^\d{3}$", error_messages={"invalid": "Un groupe CPV s'écrit en 3 chiffres."}),
        default=list,
        help_text="Groupes CPV (3 chiffres, « 482 ») des lignes déclarées hors catalogue à regrouper : un lot par "
        "groupe.",
    )
    planned_launch_date = serializers.DateField(required=False, allow_null=True)
    duration_months = serializers.IntegerField(min_value=1, max_value=120, default=12)
    renewals = serializers.IntegerField(min_value=0, max_value=10, default=0)
    split_by = serializers.ChoiceField(choices=["none", "territory", "delivery_window"], default="none")

    def validate(self, attrs):
        if not attrs.get("families") and not attrs.get("cpv_groups"):
            raise serializers.ValidationError({"families": "Choisissez au moins une famille d'achat à regrouper."})
        return attrs
