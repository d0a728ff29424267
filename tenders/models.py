"""Lots of a grouping, publications of aggregated demand to vendors, and vendor organisations."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from procurement.validators import validate_siret


class Lot(models.Model):
    grouping = models.ForeignKey(
        "procurement.Grouping", verbose_name=_("groupement"), on_delete=models.CASCADE, related_name="lots"
    )
    number = models.PositiveIntegerField(_("numéro"))
    title = models.CharField(_("intitulé"), max_length=200)
    family = models.ForeignKey(
        "catalog.Family",
        verbose_name=_("famille"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lots",
    )
    cpv = models.ForeignKey(
        "catalog.CpvCode", verbose_name=_("code CPV"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        ordering = ["grouping", "number"]
        constraints = [models.UniqueConstraint(fields=["grouping", "number"], name="lot_unique_number_per_grouping")]

    def __str__(self) -> str:
        return f"Lot {self.number} — {self.title}"


class LotLine(models.Model):
    """A need line pooled into a lot. A need line sits in at most one lot."""

    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="lot_lines")
    need_line = models.OneToOneField(
        "procurement.NeedLine", verbose_name=_("ligne de besoin"), on_delete=models.CASCADE, related_name="lot_line"
    )
    reason = models.CharField(_("motif du rattachement"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("ligne du lot")
        verbose_name_plural = _("lignes du lot")

    def __str__(self) -> str:
        return f"{self.lot} ← {self.need_line}"


class PublicationStatus(models.TextChoices):
    PUBLISHED = "published", _("Publiée")
    SUPERSEDED = "superseded", _("Remplacée")
    WITHDRAWN = "withdrawn", _("Retirée")


class PublicationQuerySet(models.QuerySet):
    def published(self) -> "PublicationQuerySet":
        return self.filter(status=PublicationStatus.PUBLISHED)


class Publication(models.Model):
    """A demand summary published to vendors.

    `content` is a frozen snapshot built at publication time from aggregated figures only: the public never
    reads live data, so nothing changed or added afterwards leaks out.
    """

    grouping = models.ForeignKey(
        "procurement.Grouping", verbose_name=_("groupement"), on_delete=models.PROTECT, related_name="publications"
    )
    title = models.CharField(_("intitulé"), max_length=200)
    summary = models.TextField(_("présentation"), blank=True)
    expected_launch_date = models.DateField(_("lancement prévu de la consultation"), null=True, blank=True)
    expected_delivery_start = models.DateField(_("début des livraisons"), null=True, blank=True)
    expected_delivery_end = models.DateField(_("fin des livraisons"), null=True, blank=True)
    content = models.JSONField(_("contenu"), default=dict)
    status = models.CharField(
        _("statut"), max_length=20, choices=PublicationStatus.choices, default=PublicationStatus.PUBLISHED
    )
    published_at = models.DateTimeField(_("publiée le"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("publiée par"),
    )

    objects = PublicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        ordering = ["-published_at"]

    def __str__(self) -> str:
        return self.title


class Vendor(models.Model):
    name = models.CharField(_("raison sociale"), max_length=200)
    siret = models.CharField(_("SIRET"), max_length=14, unique=True, validators=[validate_siret])
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="vendors", blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)

    class Meta:
        verbose_name = _("fournisseur")
        verbose_name_plural = _("fournisseurs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
