"""CPV nomenclature, the curated catalog of school digital equipment, and aliases learnt from users."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from procurement.models import Unit


class CpvLevel(models.TextChoices):
    DIVISION = "division", _("Division")
    GROUP = "group", _("Groupe")
    CLASS = "class", _("Classe")
    CATEGORY = "category", _("Catégorie")
    SUBCATEGORY = "subcategory", _("Sous-catégorie")


class CpvCode(models.Model):
    """A code of the CPV 2008 main vocabulary (Regulation (EC) No 213/2008)."""

    code = models.CharField(_("code"), max_length=8, primary_key=True)
    code_with_check_digit = models.CharField(_("code avec clé"), max_length=10, blank=True)
    label_fr = models.CharField(_("libellé"), max_length=400)
    label_en = models.CharField(_("libellé anglais"), max_length=400, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children", db_constraint=False
    )
    level = models.CharField(_("niveau"), max_length=20, choices=CpvLevel.choices, blank=True)

    class Meta:
        verbose_name = _("code CPV")
        verbose_name_plural = _("codes CPV")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.display_code} {self.label_fr}"

    @property
    def display_code(self) -> str:
        return self.code_with_check_digit or self.code

    @property
    def division(self) -> str:
        return self.code[:2]


class Family(models.Model):
    """A homogeneous family of supplies or services (R2121-6): the unit pooled into one lot."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    nature = models.CharField(
        _("nature"),
        max_length=20,
        default="supplies",
        choices=[("supplies", _("Fournitures")), ("services", _("Services"))],
    )
    cpv = models.ForeignKey(
        CpvCode, verbose_name=_("code CPV"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("famille homogène")
        verbose_name_plural = _("familles homogènes")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class CatalogItemQuerySet(models.QuerySet):
    def active(self) -> "CatalogItemQuerySet":
        return self.filter(is_active=True)


class CatalogItem(models.Model):
    code = models.SlugField(_("code"), max_length=80, unique=True)
    family = models.ForeignKey(Family, verbose_name=_("famille"), on_delete=models.PROTECT, related_name="items")
    label = models.CharField(_("libellé"), max_length=200)
    cpv = models.ForeignKey(CpvCode, verbose_name=_("code CPV"), on_delete=models.PROTECT, related_name="catalog_items")
    unit = models.CharField(_("unité"), max_length=20, choices=Unit.choices, default=Unit.UNIT)
    reference_unit_price_ht = models.DecimalField(
        _("prix unitaire de référence HT (€)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    price_basis = models.CharField(_("source ou base du prix"), max_length=300, blank=True)
    min_specs = models.TextField(_("spécifications techniques minimales"), blank=True)
    is_active = models.BooleanField(_("actif"), default=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    objects = CatalogItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("article du catalogue")
        verbose_name_plural = _("articles du catalogue")
        ordering = ["family__position", "label"]

    def __str__(self) -> str:
        return self.label


class AliasStatus(models.TextChoices):
    ACCEPTED = "accepted", _("Accepté")
    PROPOSED = "proposed", _("Proposé")
    REJECTED = "rejected", _("Refusé")


class CatalogAlias(models.Model):
    """Another way to write an item: abbreviation, brand, misspelling, or a text confirmed by a buyer.

    A global alias (collectivity null, accepted) serves everyone; a learnt alias serves its collectivité at
    once and everyone once an administrator accepts it.
    """

    item = models.ForeignKey(CatalogItem, verbose_name=_("article"), on_delete=models.CASCADE, related_name="aliases")
    text = models.CharField(_("texte"), max_length=300)
    normalized = models.CharField(_("texte normalisé"), max_length=300, db_index=True)
    collectivity = models.ForeignKey(
        "procurement.Collectivity",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="catalog_aliases",
        verbose_name=_("collectivité"),
    )
    status = models.CharField(_("statut"), max_length=20, choices=AliasStatus.choices, default=AliasStatus.ACCEPTED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("créé par"),
    )
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)

    class Meta:
        verbose_name = _("synonyme")
        verbose_name_plural = _("synonymes")
        constraints = [
            models.UniqueConstraint(
                fields=["item", "normalized"], condition=Q(collectivity__isnull=True), name="alias_unique_global"
            ),
            models.UniqueConstraint(
                fields=["item", "normalized", "collectivity"],
                condition=Q(collectivity__isnull=False),
                name="alias_unique_per_collectivity",
            ),
        ]

    def __str__(self) -> str:
        return self.text


class RematchStatus(models.TextChoices):
    PENDING = "pending", _("Demandé")
    RUNNING = "running", _("En cours")
    DONE = "done", _("Terminé")
    FAILED = "failed", _("Échec")


class RematchJob(models.Model):
    """« Relancer le rapprochement » on a campaign's undecided lines, run by a worker: tens of thousands of lines
    take longer than a web request should, and the page shows how far it is."""

    campaign = models.ForeignKey(
        "procurement.Campaign", verbose_name=_("campagne"), on_delete=models.CASCADE, related_name="rematch_jobs"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("demandé par"),
    )
    status = models.CharField(_("statut"), max_length=20, choices=RematchStatus.choices, default=RematchStatus.PENDING)
    progress = models.PositiveSmallIntegerField(_("avancement (%)"), default=0)
    considered = models.PositiveIntegerField(_("lignes considérées"), default=0)
    changed = models.PositiveIntegerField(_("lignes modifiées"), default=0)
    statuses = models.JSONField(_("statuts après rapprochement"), default=dict, blank=True)
    error = models.TextField(_("erreur"), blank=True)
    created_at = models.DateTimeField(_("demandé le"), default=timezone.now)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("relance du rapprochement")
        verbose_name_plural = _("relances du rapprochement")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["campaign", "-created_at"])]

    def __str__(self) -> str:
        return f"Relance du rapprochement — {self.campaign} ({self.get_status_display()})"

    @property
    def in_progress(self) -> bool:
        return self.status in (RematchStatus.PENDING, RematchStatus.RUNNING)
