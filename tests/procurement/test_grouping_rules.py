import datetime
from decimal import Decimal

import pytest

from procurement.grouping_rules import assess_grouping
from procurement.models import MatchStatus
from tenders.selectors import grouping_totals
from tests import factories as f


def _grouping_worth(campaign, commune, price: str, *, renewals: int, launch: datetime.date):
    item = f.CatalogItemFactory(reference_unit_price_ht=Decimal(price))
    grouping = f.GroupingFactory(campaign=campaign, renewals=renewals, planned_launch_date=launch)
    lot = f.LotFactory(grouping=grouping, number=1)
    line = f.NeedLineFactory(
        campaign=campaign, collectivity=commune, quantity=1, catalog_item=item, match_status=MatchStatus.MATCHED
    )
    f.LotLineFactory(lot=lot, need_line=line)
    return grouping


@pytest.mark.parametrize(
    ("price", "procedure"),
    [("53999.99", "mapa"), ("54000.00", "formalisee")],  # × 4 periods: 215 999.96 / 216 000.00
)
def test_the_pooled_value_over_all_renewals_decides_the_procedure(campaign, commune_a, price, procedure):
    grouping = _grouping_worth(campaign, commune_a, price, renewals=3, launch=datetime.date(2026, 6, 1))
    assessment = assess_grouping(grouping=grouping, totals=grouping_totals(grouping=grouping))
    assert assessment.result.procedure == procedure
    assert assessment.total_value_ht == Decimal(price) * 4


def test_a_launch_date_beyond_the_known_thresholds_is_said_not_guessed(campaign, commune_a):
    grouping = _grouping_worth(campaign, commune_a, "1000.00", renewals=0, launch=datetime.date(2031, 1, 1))
    assessment = assess_grouping(grouping=grouping, totals=grouping_totals(grouping=grouping))
    assert assessment.result is None
    assert "2031" in assessment.error or "seuil" in assessment.error.lower()


def test_a_grouping_without_lots_has_nothing_to_assess(campaign):
    grouping = f.GroupingFactory(campaign=campaign)
    assessment = assess_grouping(grouping=grouping, totals=grouping_totals(grouping=grouping))
    assert assessment.result is None and "pas encore de lot" in assessment.error


def test_unpriced_lots_are_left_out_and_said(campaign, commune_a):
    grouping = _grouping_worth(campaign, commune_a, "1000.00", renewals=0, launch=datetime.date(2026, 6, 1))
    lot = f.LotFactory(grouping=grouping, number=2, title="Sans prix")
    f.LotLineFactory(lot=lot, need_line=f.NeedLineFactory(campaign=campaign, collectivity=commune_a, quantity=3))
    assessment = assess_grouping(grouping=grouping, totals=grouping_totals(grouping=grouping))
    assert assessment.total_value_ht == Decimal("1000.00")
    assert any("sans prix de référence" in note for note in assessment.notes)


def test_a_line_without_item_counts_at_its_buyers_budget(campaign, commune_a):
    grouping = _grouping_worth(campaign, commune_a, "1000.00", renewals=0, launch=datetime.date(2026, 6, 1))
    lot = f.LotFactory(grouping=grouping, number=2, title="Hors catalogue")
    line = f.NeedLineFactory(campaign=campaign, collectivity=commune_a, quantity=3, budget_ht=Decimal("450.00"))
    f.LotLineFactory(lot=lot, need_line=line)

    assessment = assess_grouping(grouping=grouping, totals=grouping_totals(grouping=grouping))

    assert assessment.total_value_ht == Decimal("1450.00")
    assert not any("sans prix de référence" in note for note in assessment.notes)
