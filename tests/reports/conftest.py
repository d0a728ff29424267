"""A grouping with 2 lots, 2 members (communes A and B) and 3 delivery sites, coordinated by carol's département.

Lot 1 — tablets at 350 € HT: A/Jules Ferry 20, A/Pasteur 10, B/Les Tilleuls 15 → 45 units, 15 750,00 €.
Lot 2 — projectors at 1 200 € HT: A/Jules Ferry 2, B/Les Tilleuls 3 → 5 units, 6 000,00 €.
Total: 50 units, 21 750,00 € HT.
"""

from decimal import Decimal

import pytest

from procurement.models import GroupingMemberStatus
from tests import factories as f


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def site_a2(commune_a):
    return f.SiteFactory(name="École Pasteur", commune=commune_a, competent_collectivity=commune_a)


@pytest.fixture
def grouping(campaign, departement, commune_a, commune_b, site_a, site_a2, site_b, media_root):
    grouping = f.GroupingFactory(
        reference="GC-2027-001",
        title="Équipements numériques des écoles 2027",
        campaign=campaign,
        coordinator=departement,
        duration_months=24,
        renewals=1,
    )
    f.GroupingMemberFactory(grouping=grouping, collectivity=commune_a, status=GroupingMemberStatus.SIGNED)
    f.GroupingMemberFactory(grouping=grouping, collectivity=commune_b, status=GroupingMemberStatus.ACCEPTED)

    tablet_cpv = f.CpvFactory(code="30213200", code_with_check_digit="30213200-7", label_fr="Ordinateur tablette")
    projector_cpv = f.CpvFactory(code="38652120", code_with_check_digit="38652120-7", label_fr="Vidéoprojecteurs")
    tablet = f.CatalogItemFactory(
        label="Tablette tactile 10 pouces",
        cpv=tablet_cpv,
        reference_unit_price_ht=Decimal("350.00"),
        min_specs="Écran 10 pouces minimum\n64 Go de stockage\nCoque de protection",
    )
    projector = f.CatalogItemFactory(
        label="Vidéoprojecteur interactif",
        cpv=projector_cpv,
        family=f.FamilyFactory(code="projection", name="Projection"),
        reference_unit_price_ht=Decimal("1200.00"),
        min_specs="Ultra-courte focale, 3 500 lumens",
    )
    lot1 = f.LotFactory(grouping=grouping, number=1, title="Tablettes et classes mobiles", cpv=tablet_cpv)
    lot2 = f.LotFactory(grouping=grouping, number=2, title="Vidéoprojection interactive", cpv=projector_cpv)

    def line(lot, collectivity, site, item, quantity):
        need = f.NeedLineFactory(
            campaign=campaign, collectivity=collectivity, site=site, catalog_item=item, quantity=quantity
        )
        f.LotLineFactory(lot=lot, need_line=need)

    line(lot1, commune_a, site_a, tablet, 20)
    line(lot1, commune_a, site_a2, tablet, 10)
    line(lot1, commune_b, site_b, tablet, 15)
    line(lot2, commune_a, site_a, projector, 2)
    line(lot2, commune_b, site_b, projector, 3)
    return grouping
