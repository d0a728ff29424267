"""Core domain: collectivités, schools, memberships, needs census campaigns, need lines, groupings, audit."""

import uuid
from datetime import date

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from procurement.validators import validate_siren, validate_uai

MAX_QUANTITY = 1_000_000


class User(AbstractUser):
    """A person. What they may see follows from their memberships (collectivités) or vendor organisation."""

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class CollectivityKind(models.TextChoices):
    COMMUNE = "commune", _("Commune")
    EPCI = "epci", _("EPCI")
    DEPARTEMENT = "departement", _("Département")
    REGION = "region", _("Région")
    OTHER = "autre", _("Autre acheteur public")


class CollectivityQuerySet(models.QuerySet):
    def for_user(self, user) -> "CollectivityQuerySet":
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user).distinct()


class Collectivity(models.Model):
    """A public buyer: commune, EPCI, département, région or another public body."""

    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=CollectivityKind.choices)
    insee_code = models.CharField(
        _("code INSEE"),
        max_length=5,
        blank=True,
        help_text=_("Code officiel géographique (commune, département, région)."),
    )
    siren = models.CharField(_("SIREN"), max_length=9, unique=True, null=True, blank=True, validators=[validate_siren])
    epci = models.ForeignKey(
        "self",
        verbose_name=_("EPCI"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="member_communes",
        limit_choices_to={"kind": CollectivityKind.EPCI},
    )
    departement = models.ForeignKey(
        "self",
        verbose_name=_("département"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        limit_choices_to={"kind": CollectivityKind.DEPARTEMENT},
    )
    region = models.ForeignKey(
        "self",
        verbose_name=_("région"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        limit_choices_to={"kind": CollectivityKind.REGION},
    )
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    has_school_competence = models.BooleanField(
        _("compétence écoles transférée"),
        default=False,
        help_text=_("Pour un EPCI : les communes membres lui ont transféré la compétence scolaire."),
    )

    objects = CollectivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("collectivité")
        verbose_name_plural = _("collectivités")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "insee_code"], condition=~Q(insee_code=""), name="collectivity_unique_insee_per_kind"
            )
        ]

    def __str__(self) -> str:
        return self.name


class SiteKind(models.TextChoices):
    ECOLE = "ecole", _("École")
    COLLEGE = "college", _("Collège")
    LYCEE = "lycee", _("Lycée")
    OTHER = "autre", _("Autre site")


class Site(models.Model):
    """A delivery site, usually a school identified by its UAI code."""

    uai = models.CharField(_("code UAI"), max_length=8, unique=True, validators=[validate_uai])
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=SiteKind.choices)
    commune = models.ForeignKey(
        Collectivity,
        verbose_name=_("commune"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sites_located",
        limit_choices_to={"kind": CollectivityKind.COMMUNE},
    )
    city_name = models.CharField(_("commune (libellé)"), max_length=200, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=5, blank=True)
    competent_collectivity = models.ForeignKey(
        Collectivity, verbose_name=_("collectivité compétente"), on_delete=models.PROTECT, related_name="sites"
    )
    is_public = models.BooleanField(_("public"), default=True)
    pupils = models.PositiveIntegerField(_("élèves"), null=True, blank=True)

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.uai})"


class Role(models.TextChoices):
    BUYER = "buyer", _("Acheteur")
    COORDINATOR = "coordinator", _("Coordonnateur")
    VIEWER = "viewer", _("Lecteur")


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("utilisateur"), on_delete=models.CASCADE, related_name="memberships"
    )
    collectivity = models.ForeignKey(
        Collectivity, verbose_name=_("collectivité"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("rattachement")
        verbose_name_plural = _("rattachements")
        constraints = [
            models.UniqueConstraint(fields=["user", "collectivity"], name="membership_unique_user_collectivity")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.collectivity} ({self.get_role_display()})"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    OPEN = "open", _("Ouverte")
    CLOSED = "closed", _("Clôturée")
    ARCHIVED = "archived", _("Archivée")


class Campaign(models.Model):
    """A needs census run by a coordinating collectivité for its invited members."""

    coordinator = models.ForeignKey(
        Collectivity,
        verbose_name=_("collectivité coordinatrice"),
        on_delete=models.PROTECT,
        related_name="coordinated_campaigns",
    )
    title = models.CharField(_("intitulé"), max_length=200)
    scope = models.TextField(_("périmètre"), blank=True)
    opens_on = models.DateField(_("ouverture"))
    closes_on = models.DateField(_("clôture"))
    status = models.CharField(_("statut"), max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    members = models.ManyToManyField(Collectivity, through="CampaignParticipation", related_name="campaigns")
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
        verbose_name = _("campagne de recensement")
        verbose_name_plural = _("campagnes de recensement")
        ordering = ["-opens_on", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("opens_on")), name="campaign_closes_after_opening"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def accepts_declarations(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.status == CampaignStatus.OPEN and self.opens_on <= today <= self.closes_on


class ParticipationStatus(models.TextChoices):
    INVITED = "invited", _("Invitée")
    STARTED = "started", _("En cours de saisie")
    SUBMITTED = "submitted", _("Déclaration transmise")


class CampaignParticipation(models.Model):
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campagne"), on_delete=models.CASCADE, related_name="participations"
    )
    collectivity = models.ForeignKey(
        Collectivity, verbose_name=_("collectivité"), on_delete=models.CASCADE, related_name="participations"
    )
    status = models.CharField(
        _("statut"), max_length=20, choices=ParticipationStatus.choices, default=ParticipationStatus.INVITED
    )
    invited_at = models.DateTimeField(_("invitée le"), default=timezone.now)
    submitted_at = models.DateTimeField(_("transmise le"), null=True, blank=True)

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "collectivity"], name="participation_unique_campaign_collectivity"
            )
        ]

    def __str__(self) -> str:
        return f"{self.collectivity} — {self.campaign}"


class Unit(models.TextChoices):
    UNIT = "unite", _("unité")
    LOT = "lot", _("lot")
    LICENCE = "licence", _("licence")
    SUBSCRIPTION = "abonnement", _("abonnement")
    PACKAGE = "forfait", _("forfait")
    DAY = "jour", _("jour")
    HOUR = "heure", _("heure")
    MONTH = "mois", _("mois")
    YEAR = "an", _("an")
    METRE = "metre", _("mètre")


class MatchStatus(models.TextChoices):
    PENDING = "pending", _("À rapprocher")
    MATCHED = "matched", _("Rapprochée")
    REVIEW = "review", _("À vérifier")
    UNMATCHED = "unmatched", _("Non reconnue")
    CONFIRMED = "confirmed", _("Confirmée")


def line_value(prefix: str = "") -> models.Expression:
    """The estimated value HT of a need line (``prefix`` "need_line__" from a lot line): quantity × the reference
    unit price of its catalog item, else the buyer's budget (a line « hors catalogue » has no reference price)."""
    money = models.DecimalField(max_digits=16, decimal_places=2)
    by_price = models.ExpressionWrapper(
        models.F(f"{prefix}quantity") * models.F(f"{prefix}catalog_item__reference_unit_price_ht"), output_field=money
    )
    return Coalesce(by_price, models.F(f"{prefix}budget_ht"), output_field=money)


class NeedLineQuerySet(models.QuerySet):
    def outside_catalog_to_pool(self) -> "NeedLineQuerySet":
        """Lines a buyer declared « hors catalogue » (confirmed without an item) and not yet in a lot."""
        return self.filter(match_status="confirmed", catalog_item__isnull=True, lot_line__isnull=True)

    def with_estimated_value(self) -> "NeedLineQuerySet":
        """``estimated_value_ht``: quantity × the catalog item's reference price; for a line without an item (declared
        « hors catalogue »), the buyer's own budget; None when there is neither."""
        return self.annotate(estimated_value_ht=line_value())


class NeedLine(models.Model):
    """One need declared by a member in a campaign, as the buyer wrote it, with its catalog match."""

    uuid = models.UUIDField(_("identifiant universel"), default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campagne"), on_delete=models.PROTECT, related_name="need_lines"
    )
    collectivity = models.ForeignKey(
        Collectivity, verbose_name=_("collectivité"), on_delete=models.PROTECT, related_name="need_lines"
    )
    site = models.ForeignKey(
        Site,
        verbose_name=_("site de livraison"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="need_lines",
    )
    text = models.CharField(_("désignation du besoin"), max_length=1000)
    quantity = models.PositiveIntegerField(
        _("quantité"), validators=[MinValueValidator(1), MaxValueValidator(MAX_QUANTITY)]
    )
    unit = models.CharField(_("unité"), max_length=20, choices=Unit.choices, default=Unit.UNIT)
    wished_delivery_date = models.DateField(_("livraison souhaitée"), null=True, blank=True)
    budget_ht = models.DecimalField(
        _("budget HT (€)"), max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    catalog_item = models.ForeignKey(
        "catalog.CatalogItem",
        verbose_name=_("article du catalogue"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="need_lines",
    )
    cpv = models.ForeignKey(
        "catalog.CpvCode", verbose_name=_("code CPV"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    match_score = models.FloatField(_("score de rapprochement"), null=True, blank=True)
    match_status = models.CharField(
        _("rapprochement"), max_length=20, choices=MatchStatus.choices, default=MatchStatus.PENDING
    )
    match_explanation = models.CharField(_("explication"), max_length=500, blank=True)
    match_candidates = models.JSONField(_("articles candidats"), default=list, blank=True)
    excluded_from_grouping = models.ForeignKey(
        "procurement.Grouping",
        verbose_name=_("exclue du groupement"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="excluded_lines",
        help_text=_("Le coordonnateur a retiré la ligne des lots de ce groupement ; elle est revenue à la campagne."),
    )
    exclusion_reason = models.CharField(_("motif de l'exclusion"), max_length=300, blank=True)
    excluded_at = models.DateTimeField(_("exclue le"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("créé par"),
    )
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    objects = NeedLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("ligne de besoin")
        verbose_name_plural = _("lignes de besoin")
        ordering = ["campaign", "collectivity__name", "id"]
        indexes = [
            models.Index(fields=["campaign", "collectivity"]),
            models.Index(fields=["campaign", "match_status"]),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.text[:60]}"


class GroupingStatus(models.TextChoices):
    DRAFT = "draft", _("En préparation")
    LAUNCHED = "launched", _("Consultation lancée")
    AWARDED = "awarded", _("Attribué")
    CANCELLED = "cancelled", _("Abandonné")


class ProcurementNature(models.TextChoices):
    SUPPLIES = "supplies", _("Fournitures")
    SERVICES = "services", _("Services")
    WORKS = "works", _("Travaux")


class CostSharingKey(models.TextChoices):
    VALUE = "value", _("Au prorata de la valeur estimée des besoins")
    EQUAL = "equal", _("À parts égales")
    POPULATION = "population", _("Au prorata de la population")


class Grouping(models.Model):
    """A groupement de commandes: a coordinator and members pooling homogeneous needs into lots."""

    reference = models.CharField(_("référence"), max_length=30, unique=True)
    title = models.CharField(_("intitulé"), max_length=200)
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campagne"), null=True, blank=True, on_delete=models.PROTECT, related_name="groupings"
    )
    coordinator = models.ForeignKey(
        Collectivity, verbose_name=_("coordonnateur"), on_delete=models.PROTECT, related_name="coordinated_groupings"
    )
    nature = models.CharField(
        _("nature"), max_length=20, choices=ProcurementNature.choices, default=ProcurementNature.SUPPLIES
    )
    status = models.CharField(_("statut"), max_length=20, choices=GroupingStatus.choices, default=GroupingStatus.DRAFT)
    planned_launch_date = models.DateField(_("lancement prévu"), null=True, blank=True)
    duration_months = models.PositiveIntegerField(
        _("durée (mois)"), default=12, validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    renewals = models.PositiveIntegerField(_("reconductions"), default=0, validators=[MaxValueValidator(10)])
    members = models.ManyToManyField(Collectivity, through="GroupingMember", related_name="groupings")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("créé par"),
    )
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    version = models.PositiveIntegerField(_("version"), default=1)
    coordination_costs_ht = models.DecimalField(
        _("frais de coordination HT (€)"),
        max_digits=14,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
        help_text=_("Frais du coordonnateur à répartir entre les membres selon la convention."),
    )
    cost_sharing_key = models.CharField(
        _("clé de répartition des frais"), max_length=20, choices=CostSharingKey.choices, default=CostSharingKey.VALUE
    )

    class Meta:
        verbose_name = _("groupement de commandes")
        verbose_name_plural = _("groupements de commandes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.reference} — {self.title}"


class GroupingMemberStatus(models.TextChoices):
    INVITED = "invited", _("Invité")
    ACCEPTED = "accepted", _("Adhésion délibérée")
    SIGNED = "signed", _("Convention signée")
    WITHDRAWN = "withdrawn", _("Retiré")


class GroupingMember(models.Model):
    grouping = models.ForeignKey(
        Grouping, verbose_name=_("groupement"), on_delete=models.CASCADE, related_name="memberships"
    )
    collectivity = models.ForeignKey(
        Collectivity, verbose_name=_("collectivité"), on_delete=models.PROTECT, related_name="grouping_memberships"
    )
    status = models.CharField(
        _("statut"), max_length=20, choices=GroupingMemberStatus.choices, default=GroupingMemberStatus.INVITED
    )
    deliberation_reference = models.CharField(_("référence de la délibération"), max_length=100, blank=True)
    deliberation_date = models.DateField(_("date de la délibération"), null=True, blank=True)
    joined_at = models.DateTimeField(_("adhésion le"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("retrait le"), null=True, blank=True)

    class Meta:
        verbose_name = _("membre du groupement")
        verbose_name_plural = _("membres du groupement")
        constraints = [
            models.UniqueConstraint(
                fields=["grouping", "collectivity"], name="groupingmember_unique_grouping_collectivity"
            )
        ]

    def __str__(self) -> str:
        return f"{self.collectivity} — {self.grouping.reference}"


class AuditEvent(models.Model):
    """One state change: who did what to which object, when, with the values before and after."""

    created_at = models.DateTimeField(_("créé le"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("auteur"),
    )
    collectivity = models.ForeignKey(
        Collectivity,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
        verbose_name=_("collectivité"),
    )
    action = models.CharField(_("action"), max_length=80)
    target_type = models.CharField(_("objet"), max_length=80)
    target_id = models.CharField(_("objet (identifiant)"), max_length=64)
    target_repr = models.CharField(_("objet (libellé)"), max_length=300, blank=True)
    before = models.JSONField(_("avant"), null=True, blank=True)
    after = models.JSONField(_("après"), null=True, blank=True)

    class Meta:
        verbose_name = _("événement du journal")
        verbose_name_plural = _("journal d'audit")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["collectivity", "-created_at"]),
            models.Index(fields=["target_type", "target_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_repr}"


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Analyse demandée")
    ANALYSING = "analysing", _("Analyse en cours")
    READY = "ready", _("Prêt à importer")
    INVALID = "invalid", _("Fichier à corriger")
    QUEUED = "queued", _("Import demandé")
    RUNNING = "running", _("Import en cours")
    DONE = "done", _("Importé")
    FAILED = "failed", _("Échec")


class NeedsImportJob(models.Model):
    """One upload of a needs file for a member of a campaign: analysed (preview), then applied on confirmation.

    The file is kept in the row itself (not on disk, not in the session) until the import is applied, so a worker
    on another host can read it and the client never resends data between the preview and the confirmation.
    """

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campagne"), on_delete=models.CASCADE, related_name="needs_imports"
    )
    collectivity = models.ForeignKey(
        Collectivity, verbose_name=_("collectivité"), on_delete=models.CASCADE, related_name="needs_imports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("créé par"),
    )
    filename = models.CharField(_("nom du fichier"), max_length=255)
    size = models.PositiveBigIntegerField(_("taille (octets)"), default=0)
    content = models.BinaryField(_("contenu"), blank=True, default=b"")
    status = models.CharField(_("statut"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    progress = models.PositiveSmallIntegerField(_("avancement (%)"), default=0)
    auto_apply = models.BooleanField(_("importer sans aperçu"), default=False)
    rows = models.PositiveIntegerField(_("lignes lues"), default=0)
    counts = models.JSONField(_("décompte"), default=dict, blank=True)
    errors = models.JSONField(_("erreurs"), default=list, blank=True)
    preview = models.JSONField(_("aperçu"), default=dict, blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("import de besoins")
        verbose_name_plural = _("imports de besoins")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["campaign", "collectivity", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.filename} — {self.collectivity} ({self.get_status_display()})"

    def in_progress(self) -> bool:
        return self.status in {ImportStatus.PENDING, ImportStatus.ANALYSING, ImportStatus.QUEUED, ImportStatus.RUNNING}
