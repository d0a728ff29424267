"""Tenancy, walked over every route of the site.

Every named route must be classified below; a new route that is not fails `test_every_route_is_classified`.
- OBJECT routes address one object of commune A, the département or their grouping: an outsider (oscar, buyer
  of a commune outside the campaign) gets 404 on them, whatever the method, exactly as for a missing object.
- LIST routes are personal lists: an outsider gets 200 and sees none of the others' data.
- PUBLIC routes are open to anonymous visitors by design.
"""

import copy
import re

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from procurement.models import GroupingMemberStatus, MatchStatus, NeedsImportJob, Role
from reports.models import DocumentKind, GeneratedDocument, JobStatus
from tenders.services import publication_create
from tests import factories as f

PUBLIC = {
    "home",
    "login",
    "logout",
    "accessibility",
    "sources",
    "api:schema",
    "api:docs",
    "api:procedure-simulation",
    "api:catalog_item_list",
    "api:catalog_item_detail",
    "api:catalog_family_list",
    "api:cpv_list",
    "api:public_demand_list",
    "api:public_demand_detail",
    "catalog:item_list",
    "catalog:item_detail",
    "tenders:demand_list",
    "tenders:demand_feed",
    "tenders:demand_export_csv",
    "tenders:demand_export_json",
    "tenders:demand_detail",
    "tenders:demand_ocds",
    "procurement:simulator",
}
LIST = {
    "catalog:match_preview",
    "catalog:learnt_aliases",
    "api:learnt_alias_list",
    "api:review_list",
    "api:me",
    "api:campaign-list",
    "api:needline-list",
    "api:grouping-list",
    "procurement:dashboard",
    "procurement:campaign_list",
    "procurement:grouping_list",
    "procurement:audit_log",
}
# Personal spaces an outsider is simply not entitled to: 403 (not a coordinator) or 404 (not a vendor).
ROLE_GATED = {"procurement:campaign_create": 403, "tenders:vendor_home": 404}
# Actions whose objects travel in the body, not the URL: foreign ids in the body are 404.
BODY_OBJECT = {
    "api:review_bulk_confirm": lambda world: {"lines": [world["line"].pk]},
    "api:review_rematch": lambda world: {"campaign": world["campaign"].pk},
}
# Tools that compute an answer from the body and address no stored object: an outsider gets 200, and nothing a
# collectivité has learnt shows through to anyone else.
TOOLS = {"api:match_texts"}
SECRET = "Tablettes secrètes de Bruz"


def walk(patterns, namespace=None, prefix=""):
    """(name, full route) of every named route, namespaces and prefixes included."""
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            inner = pattern.namespace if not namespace else f"{namespace}:{pattern.namespace}"
            yield from walk(pattern.url_patterns, inner if pattern.namespace else namespace, route)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), route


ROUTES = dict(walk(get_resolver().url_patterns))
OBJECT = sorted(set(ROUTES) - PUBLIC - LIST - set(ROLE_GATED) - set(BODY_OBJECT) - TOOLS)


def test_every_route_is_classified():
    for name, route in ROUTES.items():
        params = re.findall(r"<(?:\w+:)?(\w+)>", route)
        if name in OBJECT:
            assert params, f"{name} takes no object id: classify it as PUBLIC, LIST or ROLE_GATED"


def _member(collectivity, role, username):
    return f.MembershipFactory(user=f.UserFactory(username=username), collectivity=collectivity, role=role).user


def build_world() -> dict:
    """The actors of tests/conftest.py (same names, same roles) and one object of every kind, owned by commune A,
    the département or their grouping."""
    departement = f.DepartementFactory(name="Ille-et-Vilaine", insee_code="35")
    commune_a = f.CommuneFactory(name="Bruz", departement=departement)
    commune_b = f.CommuneFactory(name="Cesson-Sévigné", departement=departement)
    commune_c = f.CommuneFactory(name="Commune extérieure")
    campaign = f.CampaignFactory(coordinator=departement, title="Recensement numérique 2027")
    f.ParticipationFactory(campaign=campaign, collectivity=commune_a)
    f.ParticipationFactory(campaign=campaign, collectivity=commune_b)
    alice = _member(commune_a, Role.BUYER, "alice")
    carol = _member(departement, Role.COORDINATOR, "carol")
    oscar = _member(commune_c, Role.BUYER, "oscar")  # outsider: invited nowhere
    site_a = f.SiteFactory(name="École élémentaire Jules Ferry", commune=commune_a, competent_collectivity=commune_a)

    item = f.CatalogItemFactory()
    line = f.NeedLineFactory(
        campaign=campaign,
        collectivity=commune_a,
        site=site_a,
        text=SECRET,
        catalog_item=item,
        match_status=MatchStatus.MATCHED,
        match_score=95,
    )
    grouping = f.GroupingFactory(campaign=campaign, title="Groupement secret")
    lot = f.LotFactory(grouping=grouping, number=1)
    f.LotLineFactory(lot=lot, need_line=line)
    member = f.GroupingMemberFactory(grouping=grouping, collectivity=commune_a, status=GroupingMemberStatus.ACCEPTED)
    document = GeneratedDocument.objects.create(
        grouping=grouping, kind=DocumentKind.SPECIFICATION, status=JobStatus.DONE, filename="x.pdf"
    )
    document.file.save("x.pdf", ContentFile(b"%PDF-1.7 secret"))
    publication = publication_create(
        grouping=grouping, actor=carol, title="Demande publiée", summary="", expected_launch_date=None
    )
    job = NeedsImportJob.objects.create(campaign=campaign, collectivity=commune_a, created_by=alice, filename="b.xlsx")
    from catalog.models import AliasStatus, CatalogAlias

    alias = CatalogAlias.objects.create(
        item=item, text=SECRET, normalized="tablette secrete bruz", collectivity=commune_a, status=AliasStatus.PROPOSED
    )
    from catalog.models import RematchJob

    rematch = RematchJob.objects.create(campaign=campaign, requested_by=carol)
    return {
        "alice": alice,
        "commune_a": commune_a,
        "carol": carol,
        "oscar": oscar,
        "campaign": campaign,
        "line": line,
        "grouping": grouping,
        "lot": lot,
        "member": member,
        "document": document,
        "publication": publication,
        "job": job,
        "item": item,
        "alias": alias,
        "rematch": rematch,
    }


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world, built once for the whole module (the users alone cost a password hash each).

    It lives in a transaction opened here and rolled back when the module ends. Every test that uses it goes
    through `world`, hence the `db` fixture, and so runs in its own savepoint inside that transaction: whatever a
    test writes (a leak that lets oscar edit or delete something, sessions of force_login...) is rolled back
    before the next test, which sees the world exactly as built.
    """
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media"))
    media.enable()
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            world = build_world()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            media.disable()
            raise
    try:
        yield world
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
        media.disable()


@pytest.fixture
def world(module_world, db):
    """The module's world in a savepoint of the test's own (`db`), as fresh Python objects: like Django's
    `setUpTestData`, what a test changes in memory does not reach the next one either."""
    return copy.deepcopy(module_world)


@pytest.fixture(autouse=True)
def _fresh_throttle_cache():
    """The same user and address now make every request of the module: the public rate must not bite."""
    cache.clear()
    yield
    cache.clear()


METHODS = ("get", "post", "put", "patch", "delete")


def statuses(client, url: str) -> set[int]:
    """The statuses of every method; 405 (the route does not take that method at all) is left out."""
    answered = {getattr(client, method)(url, {}, content_type="application/json").status_code for method in METHODS}
    return answered - {405}


def kwargs_for(name: str, world) -> dict:
    route = ROUTES[name]
    params = re.findall(r"<(?:\w+:)?(\w+)>", route)
    by_prefix = [
        ("api/v1/campaigns/", "campaign"),
        ("campagnes/", "campaign"),
        ("api/v1/need-lines/", "line"),
        ("besoins/", "line"),
        ("api/v1/groupings/", "grouping"),
        ("groupements/", "grouping"),
        ("catalogue/revue/campagnes/", "campaign"),
        ("catalogue/revue/lignes/", "line"),
        ("api/v1/documents/", "document"),
        ("documents/", "document"),
        ("marches-a-venir/", "publication"),
        ("api/v1/public/demands/", "publication"),
        ("catalogue/appris/", "alias"),
        ("api/v1/learnt-aliases/", "alias"),
        ("api/v1/review/rematch/", "rematch"),
    ]
    values = {}
    for param in params:
        if param == "pk":
            owner = next(key for prefix, key in by_prefix if route.startswith(prefix))
            values[param] = world[owner].pk
        elif param == "grouping_pk":
            values[param] = world["grouping"].pk
        elif param == "member_pk":
            values[param] = world["member"].pk
        elif param == "job_pk":
            values[param] = world["rematch" if route.startswith("catalogue/revue/") else "job"].pk
        elif param == "number":
            values[param] = world["lot"].number
        elif param == "code":
            values[param] = world["item"].code
        else:
            raise AssertionError(f"unknown parameter {param} in {name}")
    return values


@pytest.mark.parametrize("name", OBJECT)
def test_an_outsider_gets_404_on_every_object_route(client, world, name):
    client.force_login(world["oscar"])
    url = reverse(name, kwargs=kwargs_for(name, world))
    answered = statuses(client, url)
    assert answered == {404}, f"{name} {url} answered {answered}"


@pytest.mark.parametrize("name", OBJECT)
def test_a_missing_object_is_the_same_404(client, world, name):
    client.force_login(world["carol"])
    kwargs = {key: 999_999 if isinstance(value, int) else value for key, value in kwargs_for(name, world).items()}
    assert statuses(client, reverse(name, kwargs=kwargs)) == {404}


@pytest.mark.parametrize("name", sorted(LIST))
def test_personal_lists_show_an_outsider_nothing_of_the_others(client, world, name):
    client.force_login(world["oscar"])
    response = client.get(reverse(name))
    assert response.status_code == 200
    body = response.content.decode()
    assert SECRET not in body and "Groupement secret" not in body and world["campaign"].title not in body


@pytest.mark.parametrize("name", sorted(BODY_OBJECT))
def test_actions_on_foreign_ids_in_the_body_are_404(client, world, name):
    client.force_login(world["oscar"])
    response = client.post(reverse(name), BODY_OBJECT[name](world), content_type="application/json")
    assert response.status_code == 404


def test_the_matching_tool_never_uses_what_another_collectivity_learnt(client, world):
    from catalog.models import AliasStatus, CatalogAlias

    CatalogAlias.objects.create(
        item=world["item"],
        text="zorglub violet",
        normalized="zorglub violet",
        collectivity=world["commune_a"],
        status=AliasStatus.PROPOSED,
    )
    body = {"texts": ["zorglub violet"], "collectivity": world["commune_a"].pk}
    client.force_login(world["oscar"])
    response = client.post(reverse("api:match_texts"), body, content_type="application/json")
    assert response.status_code == 200 and response.json()["results"][0]["item"] is None
    client.force_login(world["alice"])
    response = client.post(reverse("api:match_texts"), body, content_type="application/json")
    assert response.json()["results"][0]["item"] == world["item"].code


@pytest.mark.parametrize(("name", "status"), sorted(ROLE_GATED.items()))
def test_role_gated_spaces_refuse_an_outsider(client, world, name, status):
    client.force_login(world["oscar"])
    assert client.get(reverse(name)).status_code == status


@pytest.mark.parametrize("name", sorted(n for n in PUBLIC if n not in {"logout", "api:procedure-simulation"}))
def test_public_routes_answer_anonymous_visitors(client, world, name):
    kwargs = kwargs_for(name, world) if "<" in ROUTES[name] else {}
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 200, name
    assert SECRET not in response.content.decode()


@pytest.mark.parametrize("name", OBJECT)
def test_anonymous_visitors_never_reach_an_object(client, world, name):
    url = reverse(name, kwargs=kwargs_for(name, world))
    for response in (getattr(client, method)(url, {}, content_type="application/json") for method in METHODS):
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("login"))
        else:
            assert response.status_code in {401, 403, 404, 405}, f"{name} answered {response.status_code}"
        assert SECRET.encode() not in response.content
