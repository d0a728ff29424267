"""Build a realistic demo on the embedded default, write its documents to ./demo-output/, then serve it."""

import random
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from procurement import services
from procurement.demo import OUTSIDE_CATALOG_ANSWERS, REVIEW_ANSWERS, needs_for_site
from procurement.models import (
    Campaign,
    CampaignStatus,
    Collectivity,
    CollectivityKind,
    GroupingMemberStatus,
    MatchStatus,
    Membership,
    NeedLine,
    Role,
    Site,
    User,
)

DEMO_PASSWORD = "mutualis-demo"
DEPARTEMENT_CODE = "35"
CAMPAIGN_TITLE = "Recensement des besoins numériques des écoles et collèges — rentrée 2027"
COMMUNE_COUNT = 30
TARGET_LINES = 500
GROUPING_PLANS = [
    (
        "Postes de travail, tablettes et classes mobiles des écoles et collèges",
        ["postes-portables", "postes-fixes", "tablettes", "classes-mobiles", "gestion-flotte"],
    ),
    (
        "Affichage interactif, vidéoprojection et périphériques de classe",
        ["affichage-interactif", "ecrans-peripheriques"],
    ),
]


class Command(BaseCommand):
    help = (
        "Crée une démonstration réaliste (un département, ~30 communes, leurs écoles, ~500 besoins), "
        "puis lance le serveur."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="Ne pas lancer le serveur à la fin.")
        parser.add_argument("--addrport", default="127.0.0.1:8000", help="Adresse du serveur (défaut 127.0.0.1:8000).")
        parser.add_argument("--seed", type=int, default=2027, help="Graine du générateur de besoins.")
        parser.add_argument("--output", default=str(settings.DEMO_OUTPUT_DIR), help="Dossier des documents générés.")

    def handle(self, *args, **options):
        self.rng = random.Random(options["seed"])
        output = Path(options["output"])
        if Campaign.objects.filter(title=CAMPAIGN_TITLE).exists():
            self.stdout.write("La démonstration existe déjà : données conservées.")
        else:
            self.build(output)
        self.print_logins()
        if not options["no_serve"]:
            self.stdout.write(self.style.SUCCESS(f"Mutualis : http://{options['addrport']}/"))
            call_command("runserver", options["addrport"], use_reloader=False)

    def step(self, message: str) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING(message))

    def build(self, output: Path) -> None:
        from catalog.seed import load_seed_catalog

        self.step("1/7 Catalogue de référence")
        self.stdout.write(f"  {load_seed_catalog()}")
        self.step("2/7 Territoire : collectivités et établissements")
        self.load_territory()
        with transaction.atomic():
            self.step("3/7 Utilisateurs et campagne de recensement")
            departement, communes = self.pick_territory()
            coordinator = self.make_users(departement, communes)
            campaign = self.make_campaign(departement, communes, coordinator)
            self.step("4/7 Besoins déclarés et rapprochement avec le catalogue")
            self.declare_needs(campaign, [departement, *communes])
            self.step("5/7 Vérification des rapprochements douteux")
            self.review(campaign, coordinator)
            self.step("6/7 Groupements de commandes")
            groupings = self.make_groupings(campaign, coordinator)
        self.step("7/7 Documents et publication")
        self.documents_and_publication(groupings, coordinator, output)

    def load_territory(self) -> None:
        from procurement import reference
        from procurement.services.housekeeping import reference_import_record

        data_dir = Path(settings.REFERENCE_DATA_DIR)
        cpv = data_dir / "reference" / "cpv" / "cpv_2008_fr_en.csv"
        if cpv.exists():
            call_command("import_cpv", str(cpv), stdout=self.stdout)
        if (data_dir / "reference" / "collectivites" / "communes.csv").exists():
            progress = lambda message: self.stdout.write(f"  {message}")  # noqa: E731
            self.stdout.write(f"  Données de référence : {data_dir}")
            for kind, run in (
                ("collectivites", reference.import_collectivites),
                ("etablissements", reference.import_etablissements),
            ):
                report = run(data_dir, departements=[DEPARTEMENT_CODE], progress=progress)
                # the same audit row as the import commands: where the data came from and what changed
                reference_import_record(
                    kind=kind,
                    source=str(reference.reference_folder(data_dir, kind)),
                    report=report,
                    departements=[DEPARTEMENT_CODE],
                )
                self.stdout.write(f"  {report}")
        else:
            self.stdout.write(f"  {data_dir} absent : jeu de démonstration intégré.")
            report = reference.load_builtin_territory()
            reference_import_record(kind="territoire", source="territoire intégré (Ille-et-Vilaine)", report=report)
            self.stdout.write(f"  {report}")

    def pick_territory(self) -> tuple[Collectivity, list[Collectivity]]:
        departement = Collectivity.objects.get(kind=CollectivityKind.DEPARTEMENT, insee_code=DEPARTEMENT_CODE)
        communes = list(
            Collectivity.objects.filter(kind=CollectivityKind.COMMUNE, departement=departement)
            .annotate(schools=Count("sites", distinct=True))
            .filter(schools__gt=0)
            .order_by("-schools", "name")[:COMMUNE_COUNT]
        )
        self.stdout.write(f"  {departement.name} et {len(communes)} communes ayant des écoles")
        return departement, communes

    def user(self, username: str, first: str, last: str, **extra) -> User:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@demo.mutualis.fr", **extra},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        return user

    def make_users(self, departement: Collectivity, communes: list[Collectivity]) -> User:
        from tenders.models import Vendor

        coordinator = self.user("coordinateur", "Claire", "Dubois")
        Membership.objects.get_or_create(
            user=coordinator, collectivity=departement, defaults={"role": Role.COORDINATOR}
        )
        buyer = self.user("acheteur.departement", "Hugo", "Lefebvre")
        Membership.objects.get_or_create(user=buyer, collectivity=departement, defaults={"role": Role.BUYER})
        viewer = self.user("lecteur.departement", "Inès", "Garnier")
        Membership.objects.get_or_create(user=viewer, collectivity=departement, defaults={"role": Role.VIEWER})
        for index, commune in enumerate(communes):
            user = self.user(f"acheteur{index + 1:02d}", "Acheteur", commune.name)
            Membership.objects.get_or_create(user=user, collectivity=commune, defaults={"role": Role.BUYER})
        vendor_user = self.user("fournisseur", "Marc", "Perrin")
        vendor, _ = Vendor.objects.get_or_create(
            siret="73282932000074", defaults={"name": "Numérique Éducation Ouest SAS"}
        )
        vendor.users.add(vendor_user)
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "admin@demo.mutualis.fr", DEMO_PASSWORD)
        return coordinator

    def make_campaign(self, departement: Collectivity, communes: list[Collectivity], coordinator: User) -> Campaign:
        today = timezone.localdate()
        campaign = services.campaign_create(
            coordinator=departement,
            actor=coordinator,
            title=CAMPAIGN_TITLE,
            scope="Équipements et services numériques des écoles publiques (communes) et des collèges publics "
            "(département) : affichage interactif, postes, tablettes, réseau, ENT, maintenance et formation.",
            opens_on=today - timedelta(days=20),
            closes_on=today + timedelta(days=40),
            members=[departement, *communes],
        )
        return services.campaign_set_status(campaign=campaign, status=CampaignStatus.OPEN, actor=coordinator)

    def declare_needs(self, campaign: Campaign, members: list[Collectivity]) -> None:
        sites_of = {
            c.pk: list(Site.objects.filter(competent_collectivity=c, is_public=True).order_by("uai")[:12])
            for c in members
        }
        # About TARGET_LINES lines whatever the territory: fewer sites, more needs per site.
        per_site = max(3, round(TARGET_LINES / max(1, sum(len(s) for s in sites_of.values()))))
        total = 0
        for collectivity in members:
            actor = (
                Membership.objects.filter(collectivity=collectivity, role__in=[Role.BUYER, Role.COORDINATOR])
                .first()
                .user
            )
            rows = []
            for site in sites_of[collectivity.pk]:
                for need in needs_for_site(site.kind, self.rng, self.rng.randint(per_site - 1, per_site + 1)):
                    rows.append(
                        {
                            "text": need.text,
                            "quantity": need.quantity,
                            "unit": need.unit,
                            "site": site,
                            "wished_delivery_date": campaign.closes_on
                            + timedelta(days=self.rng.choice([90, 120, 150, 240])),
                        }
                    )
            if rows:
                services.need_lines_bulk_create(campaign=campaign, collectivity=collectivity, actor=actor, rows=rows)
                total += len(rows)
        # Most members have transmitted their declaration; a few are late (the reminders and the progress page
        # have someone to chase), and the demo buyer's commune is still being entered, for the walk-through.
        demo_buyer = Membership.objects.filter(user__username="acheteur01").values_list("collectivity", flat=True)
        submitted = 0
        for rank, collectivity in enumerate(members):
            if rank % 5 == 4 or collectivity.pk in set(demo_buyer):
                continue
            if not campaign.need_lines.filter(collectivity=collectivity).exists():
                continue
            actor = Membership.objects.filter(collectivity=collectivity, role__in=[Role.BUYER, Role.COORDINATOR])
            services.participation_submit(campaign=campaign, collectivity=collectivity, actor=actor.first().user)
            submitted += 1
        self.stdout.write(f"  {submitted} déclarations transmises sur {len(members)}")
        by_status = dict(NeedLine.objects.filter(campaign=campaign).values_list("match_status").annotate(n=Count("id")))
        self.stdout.write(
            f"  {total} lignes déclarées ; rapprochement : "
            + ", ".join(f"{MatchStatus(k).label.lower()} {v}" for k, v in sorted(by_status.items()))
        )

    def review(self, campaign: Campaign, coordinator: User) -> None:
        from catalog.matching import normalise
        from catalog.models import CatalogItem
        from catalog.services import need_line_confirm_match, need_line_confirm_outside_catalog

        # Needs no catalog item fits are declared « hors catalogue »; buyers confirm about half of the other
        # doubtful lines; the rest stays in the demo's review queue.
        undecided = NeedLine.objects.filter(
            campaign=campaign, match_status__in=[MatchStatus.REVIEW, MatchStatus.UNMATCHED]
        )
        outside = 0
        for line in undecided.select_related("collectivity").order_by("id"):
            words = set(normalise(line.text).split())
            if any(words.issuperset(needed) for needed in OUTSIDE_CATALOG_ANSWERS):
                actor = Membership.objects.filter(collectivity=line.collectivity).first().user
                need_line_confirm_outside_catalog(need_line=line, actor=actor)
                outside += 1
        self.stdout.write(
            f"  {outside} ligne{'s' if outside > 1 else ''} déclarée{'s' if outside > 1 else ''} hors catalogue"
        )
        doubtful = NeedLine.objects.filter(campaign=campaign, match_status=MatchStatus.REVIEW).order_by("id")
        confirmed = 0
        for line in list(doubtful.select_related("collectivity"))[::2]:
            candidate = (line.match_candidates or [None])[0]
            if not candidate:
                continue
            actor = Membership.objects.filter(collectivity=line.collectivity).first().user
            words = set(normalise(line.text).split())
            code = next((code for needed, code in REVIEW_ANSWERS if words.issuperset(needed)), None)
            item = CatalogItem.objects.get(code=code) if code else CatalogItem.objects.get(pk=candidate["item_id"])
            need_line_confirm_match(need_line=line, item=item, actor=actor)
            confirmed += 1
        # a line the engine could not recognise, which its buyer knows an item of the catalog answers
        unrecognised = NeedLine.objects.filter(campaign=campaign, match_status=MatchStatus.UNMATCHED).order_by("id")
        for line in unrecognised.select_related("collectivity"):
            words = set(normalise(line.text).split())
            code = next((code for needed, code in REVIEW_ANSWERS if words.issuperset(needed)), None)
            if code:
                actor = Membership.objects.filter(collectivity=line.collectivity).first().user
                need_line_confirm_match(need_line=line, item=CatalogItem.objects.get(code=code), actor=actor)
                confirmed += 1
        self.stdout.write(f"  {confirmed} lignes confirmées par les acheteurs (et apprises comme synonymes)")

    def make_groupings(self, campaign: Campaign, coordinator: User) -> list:
        from procurement.selectors import campaign_family_totals

        available = {r["catalog_item__family__code"]: r for r in campaign_family_totals(campaign=campaign)}
        plans = [(title, [available[code] for code in codes if code in available]) for title, codes in GROUPING_PLANS]
        launch = timezone.localdate() + timedelta(days=75)
        groupings = []
        for title, chosen in plans:
            if not chosen:
                continue
            grouping = services.grouping_create_from_campaign(
                campaign=campaign,
                actor=coordinator,
                family_ids=[r["catalog_item__family_id"] for r in chosen],
                title=title,
                planned_launch_date=launch,
                duration_months=12,
                renewals=3,
            )
            for index, member in enumerate(grouping.memberships.exclude(status=GroupingMemberStatus.ACCEPTED)):
                if index % 3 != 2:
                    services.grouping_member_set_status(
                        member=member,
                        actor=coordinator,
                        status=GroupingMemberStatus.ACCEPTED,
                        deliberation_reference=f"DEL-2026-{100 + index}",
                        deliberation_date=timezone.localdate() - timedelta(days=10),
                    )
            self.stdout.write(
                f"  {grouping.reference} — {title} : "
                f"{grouping.lots.count()} lots, {grouping.memberships.count()} membres"
            )
            groupings.append(grouping)
        return groupings

    def documents_and_publication(self, groupings: list, coordinator: User, output: Path) -> None:
        from reports.models import DocumentKind
        from reports.services import document_generate_now, export_to
        from tenders.services import publication_create

        output.mkdir(parents=True, exist_ok=True)
        for grouping in groupings:
            for kind in DocumentKind.values:
                document = document_generate_now(grouping=grouping, kind=kind, actor=coordinator)
                if document.status == "done":
                    self.stdout.write(f"  {export_to(document, output)}")
                else:
                    self.stderr.write(f"  Échec du document {document.get_kind_display()} : {document.error}")
        if groupings:
            grouping = groupings[0]
            publication = publication_create(
                grouping=grouping,
                actor=coordinator,
                title=grouping.title,
                summary="Demande agrégée d'un groupement de commandes de collectivités d'Ille-et-Vilaine : "
                "tablettes, ordinateurs et équipements associés pour les écoles et collèges publics.",
                expected_launch_date=grouping.planned_launch_date,
                expected_delivery_start=grouping.planned_launch_date + timedelta(days=120),
                expected_delivery_end=grouping.planned_launch_date + timedelta(days=240),
            )
            self.stdout.write(f"  Demande publiée : /marches-a-venir/{publication.pk}/")

    def print_logins(self) -> None:
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(f"Identifiants de démonstration (mot de passe pour tous : {DEMO_PASSWORD})")
        )
        rows = [
            ("coordinateur", "coordonnateur du département (campagne, groupements, documents, publication)"),
            ("acheteur01", "acheteur d'une commune (déclare les besoins de ses écoles)"),
            ("acheteur.departement", "acheteur du département (besoins des collèges)"),
            ("lecteur.departement", "lecteur du département (consultation seule)"),
            ("fournisseur", "utilisateur d'un fournisseur (espace fournisseur, demandes publiées)"),
            ("admin", "administrateur (/admin/)"),
        ]
        for username, role in rows:
            self.stdout.write(f"  {username:<22} {role}")
