from rest_framework import serializers

from catalog.models import CatalogItem, CpvCode, Family


class CpvCodeSerializer(serializers.ModelSerializer):
    parent = serializers.CharField(source="parent_id", allow_null=True, read_only=True, help_text="Code parent")

    class Meta:
        model = CpvCode
        fields = ["code", "code_with_check_digit", "label_fr", "label_en", "level", "parent"]


class FamilySerializer(serializers.ModelSerializer):
    cpv = serializers.CharField(source="cpv_id", allow_null=True, read_only=True)
    item_count = serializers.IntegerField(read_only=True, help_text="Nombre d'articles actifs")

    class Meta:
        model = Family
        fields = ["code", "name", "nature", "description", "cpv", "position", "item_count"]


class CatalogItemSerializer(serializers.ModelSerializer):
    family = serializers.CharField(source="family.code", read_only=True)
    family_name = serializers.CharField(source="family.name", read_only=True)
    cpv = serializers.CharField(source="cpv_id", read_only=True)
    cpv_display = serializers.CharField(source="cpv.display_code", read_only=True)
    cpv_label = serializers.CharField(source="cpv.label_fr", read_only=True)
    unit_label = serializers.CharField(source="get_unit_display", read_only=True, help_text="Unité, en clair")

    class Meta:
        model = CatalogItem
        fields = [
            "code",
            "label",
            "family",
            "family_name",
            "cpv",
            "cpv_display",
            "cpv_label",
            "unit",
            "unit_label",
            "reference_unit_price_ht",
            "price_basis",
            "min_specs",
            "updated_at",
        ]


class CatalogItemDetailSerializer(CatalogItemSerializer):
    aliases = serializers.SerializerMethodField(help_text="Synonymes globaux acceptés")

    class Meta(CatalogItemSerializer.Meta):
        fields = [*CatalogItemSerializer.Meta.fields, "aliases"]

    def get_aliases(self, item: CatalogItem) -> list[str]:
        return [a.text for a in item.global_aliases]
