"""REST API of the generated documents. Querysets come from selectors: foreign objects are 404, never 403."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from procurement.selectors import get_grouping_for
from reports.api.serializers import DocumentRequestSerializer, DocumentSerializer
from reports.models import GeneratedDocument
from reports.selectors import documents_for, get_document_for
from reports.services import document_request
from reports.views import finished_file


class GroupingDocuments(generics.ListCreateAPIView):
    serializer_class = DocumentSerializer
    queryset = GeneratedDocument.objects.none()  # for the schema only; get_queryset scopes by user

    def get_grouping(self):
        return get_grouping_for(user=self.request.user, pk=self.kwargs["grouping_pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return GeneratedDocument.objects.none()
        return documents_for(user=self.request.user, grouping=self.get_grouping())

    @extend_schema(summary="Documents générés d'un groupement")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Demander la génération d'un document",
        description="Réservé au coordonnateur du groupement. La génération se fait en tâche de fond : "
        "suivez `status` et `progress` sur la ressource du document.",
        request=DocumentRequestSerializer,
        responses={
            202: DocumentSerializer,
            400: OpenApiResponse(description="Type de document inconnu."),
            403: OpenApiResponse(description="L'utilisateur n'est pas coordonnateur du groupement."),
            404: OpenApiResponse(description="Groupement introuvable."),
        },
    )
    def post(self, request, *args, **kwargs):
        grouping = self.get_grouping()
        data = DocumentRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        document = document_request(grouping=grouping, kind=data.validated_data["kind"], actor=request.user)
        document.refresh_from_db()
        return Response(
            DocumentSerializer(document, context={"request": request}).data, status=status.HTTP_202_ACCEPTED
        )


class DocumentDetail(generics.RetrieveAPIView):
    serializer_class = DocumentSerializer

    def get_object(self):
        return get_document_for(user=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(summary="État d'un document : statut, avancement, erreur")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DocumentDownload(APIView):
    @extend_schema(
        summary="Télécharger un document terminé",
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="Document introuvable ou pas encore disponible."),
        },
    )
    def get(self, request, pk: int):
        return finished_file(get_document_for(user=request.user, pk=pk))
