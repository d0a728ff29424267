"""API of the needs census Excel round trip: imports (with a dry run), their jobs, the export and the template.

Campaigns and jobs come from selectors: foreign ones are 404. Errors follow the API's JSON shape, with the row
errors of a file in `errors` (sheet, row, column, header, message, text).
"""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from procurement import selectors, services
from procurement.excel import CONTENT_TYPE, needs_export_xlsx, needs_template_xlsx
from procurement.imports import issue_text
from procurement.imports.selectors import get_import_job_for
from procurement.models import ImportStatus, NeedsImportJob


class ImportJobSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display")
    collectivity = serializers.IntegerField(source="collectivity_id")
    errors = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = NeedsImportJob
        fields = [
            "id",
            "campaign",
            "collectivity",
            "filename",
            "size",
            "status",
            "status_display",
            "progress",
            "rows",
            "counts",
            "errors",
            "preview",
            "created_at",
            "finished_at",
            "url",
        ]

    def get_errors(self, job) -> list[dict]:
        return [{**issue, "text": issue_text(issue)} for issue in job.errors]

    def get_url(self, job) -> str:
        return reverse("api:campaign-import-detail", kwargs={"pk": job.campaign_id, "job_pk": job.pk})


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "oui", "yes"}


def _job_response(job: NeedsImportJob, *, created_status: int) -> Response:
    data = ImportJobSerializer(job).data
    if job.status in {ImportStatus.INVALID, ImportStatus.FAILED}:
        detail = "Le fichier n'a pas été importé : corrigez les erreurs indiquées puis déposez-le à nouveau."
        code = "import_failed" if job.status == ImportStatus.FAILED else "invalid_file"
        return Response(
            {"code": code, "detail": detail, "errors": data["errors"], "job": data},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if job.in_progress():
        return Response(data, status=status.HTTP_202_ACCEPTED)
    return Response(data, status=created_status)


class CampaignImportCreate(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="Importer un fichier de besoins (XLSX ou CSV) pour un membre de la campagne",
        description=(
            "Tout le fichier est vérifié avant d'enregistrer quoi que ce soit. Avec `dry_run=1`, rien n'est "
            "enregistré : la réponse donne l'aperçu (lignes à créer, à mettre à jour, erreurs) et l'import peut "
            "ensuite être confirmé. Un gros fichier est traité en arrière-plan (202, suivre `url`)."
        ),
        parameters=[OpenApiParameter("dry_run", OpenApiTypes.BOOL, description="Aperçu seulement")],
        request=inline_serializer(
            "NeedsImportUpload",
            {"file": serializers.FileField(), "collectivity": serializers.IntegerField(required=False)},
        ),
        responses={
            200: ImportJobSerializer,
            201: ImportJobSerializer,
            202: ImportJobSerializer,
            400: OpenApiResponse(description="Fichier refusé ou lignes à corriger"),
        },
    )
    def post(self, request, pk: int):
        campaign = selectors.get_campaign_for(user=request.user, pk=pk)
        declaring = selectors.declaring_collectivities_for(user=request.user, campaign=campaign)
        collectivity_id = request.data.get("collectivity")
        if collectivity_id:
            collectivity = get_object_or_404(declaring, pk=collectivity_id if str(collectivity_id).isdigit() else 0)
        elif declaring.count() == 1:
            collectivity = declaring.get()
        else:
            raise ValidationError({"collectivity": ["Précisez la collectivité pour laquelle vous importez."]})
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": ["Joignez le fichier à importer (champ « file »)."]})
        dry_run = _truthy(request.query_params.get("dry_run"))
        job = services.needs_import_start(
            campaign=campaign,
            collectivity=collectivity,
            actor=request.user,
            filename=upload.name,
            content=upload.read(),
            auto_apply=not dry_run,
        )
        return _job_response(job, created_status=status.HTTP_200_OK if dry_run else status.HTTP_201_CREATED)


class CampaignImportDetail(APIView):
    @extend_schema(summary="État d'un import de besoins", responses=ImportJobSerializer)
    def get(self, request, pk: int, job_pk: int):
        campaign = selectors.get_campaign_for(user=request.user, pk=pk)
        job = get_import_job_for(user=request.user, campaign=campaign, pk=job_pk)
        return Response(ImportJobSerializer(job).data)


class CampaignImportConfirm(APIView):
    @extend_schema(summary="Confirmer un import prévisualisé (dry_run)", request=None, responses=ImportJobSerializer)
    def post(self, request, pk: int, job_pk: int):
        campaign = selectors.get_campaign_for(user=request.user, pk=pk)
        job = get_import_job_for(user=request.user, campaign=campaign, pk=job_pk)
        job = services.needs_import_confirm(job=job, actor=request.user)
        return _job_response(job, created_status=status.HTTP_200_OK)


def _attachment(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class CampaignExport(APIView):
    @extend_schema(
        summary="Exporter les lignes de besoin de la campagne (XLSX)",
        description="Toutes les lignes pour le coordonnateur, celles de ses collectivités pour un acheteur.",
        responses={(200, CONTENT_TYPE): OpenApiTypes.BINARY},
    )
    def get(self, request, pk: int):
        campaign = selectors.get_campaign_for(user=request.user, pk=pk)
        lines = selectors.need_lines_for(user=request.user, campaign=campaign).order_by("collectivity__name", "pk")
        declaring = list(selectors.declaring_collectivities_for(user=request.user, campaign=campaign))
        is_coordinator = selectors.can_coordinate_campaign(user=request.user, campaign=campaign)
        collectivity = declaring[0] if len(declaring) == 1 and not is_coordinator else None
        return _attachment(
            needs_export_xlsx(campaign=campaign, lines=lines, collectivity=collectivity), f"besoins-{campaign.pk}.xlsx"
        )


class CampaignTemplate(APIView):
    @extend_schema(
        summary="Modèle Excel de saisie des besoins d'un membre",
        parameters=[OpenApiParameter("collectivity", OpenApiTypes.INT)],
        responses={(200, CONTENT_TYPE): OpenApiTypes.BINARY},
    )
    def get(self, request, pk: int):
        campaign = selectors.get_campaign_for(user=request.user, pk=pk)
        if selectors.can_coordinate_campaign(user=request.user, campaign=campaign):
            choices = campaign.members.all()
        else:
            choices = selectors.declaring_collectivities_for(user=request.user, campaign=campaign)
        wanted = request.query_params.get("collectivity", "")
        if wanted:
            collectivity = get_object_or_404(choices, pk=wanted if wanted.isdigit() else 0)
        elif choices.count() == 1:
            collectivity = choices.get()
        else:
            raise ValidationError({"collectivity": ["Précisez la collectivité."]})
        content = needs_template_xlsx(campaign=campaign, collectivity=collectivity)
        return _attachment(content, f"modele-besoins-{campaign.pk}-{collectivity.pk}.xlsx")
