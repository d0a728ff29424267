from django.urls import reverse
from rest_framework import serializers

from reports.models import DocumentKind, GeneratedDocument, JobStatus


class DocumentSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    grouping_reference = serializers.CharField(source="grouping.reference", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = GeneratedDocument
        fields = [
            "id",
            "grouping",
            "grouping_reference",
            "kind",
            "kind_label",
            "status",
            "status_label",
            "progress",
            "error",
            "filename",
            "size",
            "created_at",
            "finished_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, document: GeneratedDocument) -> str | None:
        if document.status != JobStatus.DONE:
            return None
        url = reverse("api:reports_document_download", kwargs={"pk": document.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class DocumentRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
