"""Generated documents (PDF, Excel) and their generation jobs."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def document_upload_to(instance: "GeneratedDocument", filename: str) -> str:
    # Random names: a stored file's path reveals nothing and cannot be guessed.
    return f"documents/{uuid.uuid4().hex}{PurePath(filename).suffix}"


class DocumentKind(models.TextChoices):
    SPECIFICATION = "specification", _("Cahier des charges groupé (PDF)")
    TENDER_SUMMARY = "tender_summary", _("Synthèse de la consultation (PDF)")
    PRICE_SCHEDULE = "price_schedule", _("Bordereau des prix et détail quantitatif (Excel)")


class JobStatus(models.TextChoices):
    PENDING = "pending", _("En attente")
    RUNNING = "running", _("En cours")
    DONE = "done", _("Terminé")
    FAILED = "failed", _("Échec")


class GeneratedDocument(models.Model):
    """A document of a grouping and the job that produces it (status, progress, error)."""

    grouping = models.ForeignKey(
        "procurement.Grouping", verbose_name=_("groupement"), on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(_("type"), max_length=30, choices=DocumentKind.choices)
    status = models.CharField(_("statut"), max_length=20, choices=JobStatus.choices, default=JobStatus.PENDING)
    progress = models.PositiveSmallIntegerField(_("avancement (%)"), default=0)
    error = models.TextField(_("erreur"), blank=True)
    file = models.FileField(_("fichier"), upload_to=document_upload_to, blank=True)
    filename = models.CharField(_("nom du fichier"), max_length=200, blank=True)
    size = models.PositiveIntegerField(_("taille (octets)"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("demandé par"),
    )
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("document généré")
        verbose_name_plural = _("documents générés")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.grouping.reference}"
