"""Nothing but aggregated figures reaches a public output: no budget, price, value, per-member or per-site
figure, site name or UAI, need-line text, nor anything from a line left out of the lots."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests import factories as f
from tests.conftest import login


def _main(response) -> str:
    """The page's main content: the header holds a per-request CSRF token."""
    body = response.content.decode()
    return body[body.index("<main") : body.index("</main>")]


def _number(value) -> str:
    """A regex matching a number however it is formatted: 48211.17, 48 211,17, 48211..."""
    integer = str(int(Decimal(value)))
    groups = [integer[max(0, i - 3) : i] for i in range(len(integer), 0, -3)][::-1]
    return r"(?<![\w])" + r"[\s\u00a0\u202f.,]?".join(groups) + r"(?![\d])"


def _secrets(lines, site_a, site_b, items) -> tuple[list[str], list[str]]:
    """(texts, numbers) that must never appear."""
    texts = [site_a.name, site_b.name, site_a.uai, site_b.uai, "Jules Ferry", "Tilleuls"]
    texts += [line.text for line in lines.values()]
    texts += ["Madame Dupont", "Kerlann", "Bruz centre", "Marie Curie", "Beaulieu", "Vergers", "Ultimaker"]
    texts += [items["printer"].label, "Imprimante 3D", "Fabrication numérique", "Prix constaté"]
    numbers = [line.budget_ht for line in lines.values()]
    numbers += [item.reference_unit_price_ht for item in items.values()]
    numbers += [line.quantity * line.catalog_item.reference_unit_price_ht for line in lines.values()]
    # per-member quantities: single lines, and each member's total per lot
    numbers += [line.quantity for line in lines.values()] + [1137 + 419, 2211 + 523]
    return texts, [_number(n) for n in numbers]


@pytest.fixture
def outputs(publication, client, victor):
    api = APIClient()
    pk = publication.pk
    pages = {
        "list": client.get(reverse("tenders:demand_list")),
        "detail": client.get(reverse("tenders:demand_detail", args=[pk])),
        "feed": client.get(reverse("tenders:demand_feed")),
        "csv": client.get(reverse("tenders:demand_export_csv")),
        "json": client.get(reverse("tenders:demand_export_json")),
        "ocds": client.get(reverse("tenders:demand_ocds", args=[pk])),
        "api_list": api.get(reverse("api:public_demand_list")),
        "api_detail": api.get(reverse("api:public_demand_detail", args=[pk])),
    }
    vendor_client = login(client.__class__(), victor)
    pages["vendor"] = vendor_client.get(reverse("tenders:vendor_home"))
    assert {name: r.status_code for name, r in pages.items()} == dict.fromkeys(pages, 200)
    return {name: r.content.decode() for name, r in pages.items()}


def test_public_outputs_carry_only_aggregated_figures(outputs, lines, site_a, site_b, items):
    texts, numbers = _secrets(lines, site_a, site_b, items)

    for name, body in outputs.items():
        for text in texts:
            assert text not in body, f"{text!r} leaks in {name}"
        for pattern in numbers:
            assert not re.search(pattern, body), f"{pattern!r} leaks in {name}"


def test_public_outputs_do_carry_the_pooled_totals(outputs):
    # The leak test above means something only if the aggregated figures are there.
    for name in ["detail", "csv", "json", "api_detail"]:
        assert re.search(_number(4290), outputs[name]), name
    for name in ["detail", "csv", "json", "ocds", "api_detail"]:
        for total in [3348, 942, 440]:
            assert re.search(_number(total), outputs[name]), (name, total)


def test_a_change_after_publication_does_not_change_the_public_page(publication, lines, lots, client):
    detail = reverse("tenders:demand_detail", args=[publication.pk])
    before = _main(client.get(detail))

    lines["a_tablet"].quantity = 6001
    lines["a_tablet"].save()
    lots[1].title = "Titre changé après coup"
    lots[1].save()
    f.LotLineFactory(lot=lots[2], need_line=lines["b_printer"])
    after = _main(client.get(detail))

    assert after == before
    assert "6001" not in after and "Titre changé" not in after and "Ultimaker" not in after


def test_a_need_outside_the_catalog_is_published_by_its_cpv_code_never_by_its_wording(
    grouping, lines, carol, campaign, commune_a, commune_b, client
):
    from tenders.services import publication_create

    furniture = f.CpvFactory(code="39160000", code_with_check_digit="39160000-1", label_fr="Mobilier scolaire")
    lot = f.LotFactory(grouping=grouping, number=3, title="Hors catalogue — Mobilier scolaire", cpv=furniture)
    for collectivity, text, quantity in [
        (commune_a, "Chaises pour la classe de Monsieur Le Goff", 31),
        (commune_b, "Tables rondes école des Korrigans", 12),
    ]:
        line = f.NeedLineFactory(
            campaign=campaign,
            collectivity=collectivity,
            catalog_item=None,
            cpv=furniture,
            text=text,
            quantity=quantity,
            budget_ht=Decimal("7777.77"),
            match_status="confirmed",
        )
        f.LotLineFactory(lot=lot, need_line=line)
    publication = publication_create(
        grouping=grouping,
        actor=carol,
        title="Mobilier et numérique",
        summary="Demande agrégée.",
        expected_launch_date=datetime.date(2027, 3, 1),
    )
    api = APIClient()
    outputs = {
        "detail": client.get(reverse("tenders:demand_detail", args=[publication.pk])).content.decode(),
        "csv": client.get(reverse("tenders:demand_export_csv")).content.decode(),
        "ocds": client.get(reverse("tenders:demand_ocds", args=[publication.pk])).content.decode(),
        "api": api.get(reverse("api:public_demand_detail", args=[publication.pk])).content.decode(),
    }

    for name, body in outputs.items():
        for secret in ("Le Goff", "Korrigans", "Chaises pour la classe", "Tables rondes"):
            assert secret not in body, f"{secret!r} leaks in {name}"
        assert not re.search(_number("7777.77"), body), name
    (row,) = publication.content["lots"][2]["items"]
    assert (row["label"], row["quantity"]) == ("Besoin hors catalogue — Mobilier scolaire", 43)
