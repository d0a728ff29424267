"""Output serializers of the public demand API. They read the frozen snapshot only (`Publication.content`)."""

from rest_framework import serializers


class CodeNameSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class CpvSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Code CPV à 8 chiffres.")
    display_code = serializers.CharField(help_text="Code CPV avec sa clé de contrôle.")
    label = serializers.CharField()


class ItemSerializer(serializers.Serializer):
    label = serializers.CharField()
    cpv = serializers.CharField(allow_blank=True)
    cpv_label = serializers.CharField(allow_blank=True)
    unit = serializers.CharField(allow_blank=True)
    unit_label = serializers.CharField()
    quantity = serializers.IntegerField(help_text="Quantité mutualisée, tous membres confondus.")


class TerritorySerializer(serializers.Serializer):
    name = serializers.CharField()
    code = serializers.CharField()
    quantity = serializers.IntegerField()
    members = serializers.IntegerField(help_text="Nombre de membres du territoire.")


class LotSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.CharField()
    family = CodeNameSerializer(allow_null=True)
    cpv = CpvSerializer(allow_null=True)
    quantity = serializers.IntegerField()
    sites = serializers.IntegerField(help_text="Nombre de sites de livraison.")
    members = serializers.IntegerField(help_text="Nombre de membres ayant des besoins dans le lot.")
    items = ItemSerializer(many=True)
    territories = TerritorySerializer(many=True)


class CoordinatorSerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()


class MembersSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    by_kind = serializers.DictField(child=serializers.IntegerField(), help_text="Nombre de membres par type.")
    names = serializers.ListField(child=serializers.CharField())


class TimelineSerializer(serializers.Serializer):
    published_at = serializers.DateTimeField()
    expected_launch_date = serializers.DateField(allow_null=True)
    expected_delivery_start = serializers.DateField(allow_null=True)
    expected_delivery_end = serializers.DateField(allow_null=True)


class TotalsSerializer(serializers.Serializer):
    lots = serializers.IntegerField()
    quantity = serializers.IntegerField()
    sites = serializers.IntegerField()


class PublicDemandSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="tenders:demand_detail")
    ocds_url = serializers.HyperlinkedIdentityField(view_name="tenders:demand_ocds")
    title = serializers.CharField(source="content.title")
    summary = serializers.CharField(source="content.summary")
    reference = serializers.CharField(source="content.reference")
    nature = serializers.CharField(source="content.nature")
    nature_label = serializers.CharField(source="content.nature_label")
    duration_months = serializers.IntegerField(source="content.duration_months")
    renewals = serializers.IntegerField(source="content.renewals")
    coordinator = CoordinatorSerializer(source="content.coordinator")
    members = MembersSerializer(source="content.members")
    timeline = TimelineSerializer(source="content.timeline")
    totals = TotalsSerializer(source="content.totals")
    families = serializers.DictField(
        source="content.facets.families", child=serializers.CharField(), help_text="Familles : code → nom."
    )
    territories = serializers.DictField(
        source="content.facets.territories", child=serializers.CharField(), help_text="Territoires : code → nom."
    )
    lots = LotSerializer(source="content.lots", many=True)
