"""A grouping of the département with two members (Bruz, Cesson-Sévigné) and two lots.

Every line carries a budget, every catalog item a reference price, and each member has its own site: the
numbers are distinctive so that a leak of any of them can be spotted in any public output.

Lot 1 « Tablettes et portables » (postes mobiles): tablets 1137 (A) + 2211 (B) = 3348,
laptops 419 (A) + 523 (B) = 942 → 4290. Lot 2 « Vidéoprojecteurs » (affichage): 157 (A) + 283 (B) = 440.
Bob also has a 3D printer line (9137) that sits in no lot.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache

from tests import factories as f


@pytest.fixture(autouse=True)
def _clear_throttle_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def families(db):
    tablet_cpv = f.CpvFactory(code="30213200", code_with_check_digit="30213200-7", label_fr="Ordinateur tablette")
    projector_cpv = f.CpvFactory(code="38652120", code_with_check_digit="38652120-7", label_fr="Vidéoprojecteurs")
    printer_cpv = f.CpvFactory(code="30232100", code_with_check_digit="30232100-5", label_fr="Imprimantes et traceurs")
    return {
        "mobile": f.FamilyFactory(code="postes-mobiles", name="Postes de travail mobiles", cpv=tablet_cpv),
        "display": f.FamilyFactory(code="affichage", name="Affichage collectif", cpv=projector_cpv),
        "fablab": f.FamilyFactory(code="fabrication", name="Fabrication numérique", cpv=printer_cpv),
    }


@pytest.fixture
def items(families):
    mobile, display, fablab = families["mobile"], families["display"], families["fablab"]
    return {
        "tablet": f.CatalogItemFactory(
            label="Tablette tactile 10 pouces", family=mobile, cpv=mobile.cpv, reference_unit_price_ht=Decimal("347.91")
        ),
        "laptop": f.CatalogItemFactory(
            label="Ordinateur portable 14 pouces",
            family=mobile,
            cpv=f.CpvFactory(code="30213100", code_with_check_digit="30213100-6", label_fr="Ordinateurs portables"),
            reference_unit_price_ht=Decimal("612.37"),
        ),
        "projector": f.CatalogItemFactory(
            label="Vidéoprojecteur interactif",
            family=display,
            cpv=display.cpv,
            reference_unit_price_ht=Decimal("2891.13"),
        ),
        "printer": f.CatalogItemFactory(
            label="Imprimante 3D grand format",
            family=fablab,
            cpv=fablab.cpv,
            reference_unit_price_ht=Decimal("4321.99"),
        ),
    }


@pytest.fixture
def grouping(campaign, departement, commune_a, commune_b):
    grouping = f.GroupingFactory(
        campaign=campaign,
        reference="GC-35-2027-001",
        title="Équipements numériques des écoles 2027",
        duration_months=24,
        renewals=1,
        planned_launch_date=datetime.date(2027, 3, 1),
    )
    f.GroupingMemberFactory(grouping=grouping, collectivity=commune_a)
    f.GroupingMemberFactory(grouping=grouping, collectivity=commune_b)
    return grouping


@pytest.fixture
def lots(grouping, families):
    return {
        1: f.LotFactory(grouping=grouping, number=1, title="Tablettes et portables", family=families["mobile"]),
        2: f.LotFactory(grouping=grouping, number=2, title="Vidéoprojecteurs", family=families["display"]),
    }


def _line(campaign, collectivity, site, item, quantity, budget, text, lot=None):
    line = f.NeedLineFactory(
        campaign=campaign,
        collectivity=collectivity,
        site=site,
        catalog_item=item,
        cpv=item.cpv,
        quantity=quantity,
        budget_ht=Decimal(budget),
        text=text,
        match_status="confirmed",
    )
    if lot is not None:
        f.LotLineFactory(lot=lot, need_line=line)
    return line


@pytest.fixture
def lines(campaign, commune_a, commune_b, site_a, site_b, items, lots):
    return {
        "a_tablet": _line(
            campaign, commune_a, site_a, items["tablet"], 1137, "48211.17", "Tablettes classe Madame Dupont", lots[1]
        ),
        "b_tablet": _line(
            campaign, commune_b, site_b, items["tablet"], 2211, "73456.29", "Tablettes pour le RPI Kerlann", lots[1]
        ),
        "a_laptop": _line(
            campaign, commune_a, site_a, items["laptop"], 419, "26843.51", "Portables enseignants Bruz centre", lots[1]
        ),
        "b_laptop": _line(
            campaign, commune_b, site_b, items["laptop"], 523, "31977.03", "Portables salle Marie Curie", lots[1]
        ),
        "a_projector": _line(
            campaign, commune_a, site_a, items["projector"], 157, "45388.88", "VPI pour les CM2 Beaulieu", lots[2]
        ),
        "b_projector": _line(
            campaign, commune_b, site_b, items["projector"], 283, "81818.19", "VPI salle polyvalente Vergers", lots[2]
        ),
        "b_printer": _line(
            campaign, commune_b, site_b, items["printer"], 9137, "55555.55", "Imprimante 3D Ultimaker secrète"
        ),
    }


@pytest.fixture
def publication(grouping, lines, carol):
    from tenders.services import publication_create

    return publication_create(
        grouping=grouping,
        actor=carol,
        title="Équipements numériques des écoles d'Ille-et-Vilaine",
        summary="Demande agrégée de deux communes pour la rentrée 2027.",
        expected_launch_date=datetime.date(2027, 3, 1),
        expected_delivery_start=datetime.date(2027, 7, 1),
        expected_delivery_end=datetime.date(2027, 8, 31),
    )


def copy_publication(source, *, title, family=None, territory=None, **fields):
    """Another published demand with the source's snapshot, optionally re-labelled for filter tests."""
    content = {**source.content, "title": title, "facets": dict(source.content["facets"])}
    if family is not None:
        content["facets"]["families"] = {family[0]: family[1]}
    if territory is not None:
        content["facets"]["territories"] = {territory[0]: territory[1]}
    grouping = f.GroupingFactory(campaign=source.grouping.campaign)
    return f.PublicationFactory(grouping=grouping, title=title, content=content, **fields)
