"""factory_boy factories for every domain model. Identifiers are valid (SIREN, SIRET and UAI check digits)."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from catalog.models import CatalogAlias, CatalogItem, CpvCode, Family
from procurement.models import (
    Campaign,
    CampaignParticipation,
    CampaignStatus,
    Collectivity,
    CollectivityKind,
    Grouping,
    GroupingMember,
    GroupingMemberStatus,
    Membership,
    NeedLine,
    Role,
    Site,
    SiteKind,
    User,
)
from procurement.validators import luhn_is_valid, uai_check_letter
from tenders.models import Lot, LotLine, Publication, Vendor


def valid_siren(n: int) -> str:
    base = f"{200000000 + n * 10:09d}"[:8]
    for last in range(10):
        if luhn_is_valid(base + str(last)):
            return base + str(last)
    raise AssertionError("unreachable")


def valid_siret(n: int) -> str:
    siren = valid_siren(500000 + n)
    nic = f"{n % 10000:04d}"
    for last in range(10):
        if luhn_is_valid(siren + nic + str(last)):
            return siren + nic + str(last)
    raise AssertionError("unreachable")


def valid_uai(n: int) -> str:
    seven = f"{350000 + n:07d}"
    return seven + uai_check_letter(seven)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.fr")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Martin{n}")
    password = factory.PostGenerationMethodCall("set_password", "motdepasse-test")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class DepartementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collectivity

    kind = CollectivityKind.DEPARTEMENT
    name = factory.Sequence(lambda n: f"Département {n}")
    insee_code = factory.Sequence(lambda n: f"{(n % 90) + 10}")
    siren = factory.Sequence(lambda n: valid_siren(1000 + n))


class CommuneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collectivity

    kind = CollectivityKind.COMMUNE
    name = factory.Sequence(lambda n: f"Commune {n}")
    insee_code = factory.Sequence(lambda n: f"{35000 + n:05d}")
    siren = factory.Sequence(lambda n: valid_siren(5000 + n))
    population = 4200


class EpciFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collectivity

    kind = CollectivityKind.EPCI
    name = factory.Sequence(lambda n: f"Communauté de communes {n}")
    siren = factory.Sequence(lambda n: valid_siren(9000 + n))


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    uai = factory.Sequence(valid_uai)
    name = factory.Sequence(lambda n: f"École primaire publique n°{n}")
    kind = SiteKind.ECOLE
    commune = factory.SubFactory(CommuneFactory)
    competent_collectivity = factory.SelfAttribute("commune")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    collectivity = factory.SubFactory(CommuneFactory)
    role = Role.BUYER


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    coordinator = factory.SubFactory(DepartementFactory)
    title = factory.Sequence(lambda n: f"Recensement des besoins numériques 2027 n°{n}")
    scope = "Équipements numériques des écoles et collèges"
    opens_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=10))
    closes_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))
    status = CampaignStatus.OPEN


class ParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CampaignParticipation

    campaign = factory.SubFactory(CampaignFactory)
    collectivity = factory.SubFactory(CommuneFactory)


class CpvFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CpvCode
        django_get_or_create = ("code",)

    code = "30213200"
    code_with_check_digit = "30213200-7"
    label_fr = "Ordinateur tablette"
    label_en = "Tablet computer"


class FamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Family
        django_get_or_create = ("code",)

    code = "postes-mobiles"
    name = "Postes de travail mobiles"
    nature = "supplies"


class CatalogItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CatalogItem

    code = factory.Sequence(lambda n: f"article-{n}")
    family = factory.SubFactory(FamilyFactory)
    label = factory.Sequence(lambda n: f"Tablette tactile 10 pouces modèle {n}")
    cpv = factory.SubFactory(CpvFactory)
    unit = "unite"
    reference_unit_price_ht = Decimal("350.00")
    price_basis = "Prix constaté UGAP 2025"


class CatalogAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CatalogAlias

    item = factory.SubFactory(CatalogItemFactory)
    text = "tablette"
    normalized = "tablette"


class NeedLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NeedLine

    campaign = factory.SubFactory(CampaignFactory)
    collectivity = factory.SubFactory(CommuneFactory)
    site = None
    text = "20 tablettes 10 pouces pour les CM1"
    quantity = 20
    unit = "unite"


class GroupingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grouping

    reference = factory.Sequence(lambda n: f"GC-2027-{n:03d}")
    title = "Groupement de commandes — équipements mobiles"
    campaign = factory.SubFactory(CampaignFactory)
    coordinator = factory.SelfAttribute("campaign.coordinator")


class GroupingMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GroupingMember

    grouping = factory.SubFactory(GroupingFactory)
    collectivity = factory.SubFactory(CommuneFactory)
    status = GroupingMemberStatus.ACCEPTED


class LotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lot

    grouping = factory.SubFactory(GroupingFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = "Tablettes et classes mobiles"


class LotLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LotLine

    lot = factory.SubFactory(LotFactory)
    need_line = factory.SubFactory(NeedLineFactory)


class PublicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Publication

    grouping = factory.SubFactory(GroupingFactory)
    title = "Demande agrégée : tablettes pour les écoles"
    content = factory.LazyFunction(dict)


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor

    name = factory.Sequence(lambda n: f"Fournisseur {n} SAS")
    siret = factory.Sequence(valid_siret)
