"""Named actors shared by every test.

- commune A and commune B, each with a buyer (alice, bob), both members of the département's campaign;
- the département coordinates the campaign (carol is its coordinator);
- an outsider commune C with its own buyer (oscar), invited nowhere;
- a vendor user (victor) and an anonymous visitor (the plain `client`).
"""

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from procurement.models import Role
from tests import factories as f


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hasher():
    """Tests hash passwords with MD5: PBKDF2 is slow on purpose (~0.5 s a user here) and the suite makes hundreds.

    Only the cost changes: `set_password`/`check_password` and logins behave the same. Production keeps its
    hashers (tests/test_settings.py checks the production settings in a subprocess, untouched by this).
    """
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def departement(db):
    return f.DepartementFactory(name="Ille-et-Vilaine", insee_code="35")


@pytest.fixture
def commune_a(departement):
    return f.CommuneFactory(name="Bruz", departement=departement)


@pytest.fixture
def commune_b(departement):
    return f.CommuneFactory(name="Cesson-Sévigné", departement=departement)


@pytest.fixture
def commune_c(db):
    return f.CommuneFactory(name="Commune extérieure")


@pytest.fixture
def campaign(departement, commune_a, commune_b):
    campaign = f.CampaignFactory(coordinator=departement, title="Recensement numérique 2027")
    f.ParticipationFactory(campaign=campaign, collectivity=commune_a)
    f.ParticipationFactory(campaign=campaign, collectivity=commune_b)
    return campaign


def _member(collectivity, role, username):
    return f.MembershipFactory(user=f.UserFactory(username=username), collectivity=collectivity, role=role).user


@pytest.fixture
def alice(commune_a):
    """Buyer of commune A."""
    return _member(commune_a, Role.BUYER, "alice")


@pytest.fixture
def bob(commune_b):
    """Buyer of commune B."""
    return _member(commune_b, Role.BUYER, "bob")


@pytest.fixture
def carol(departement):
    """Coordinator of the département that runs the campaign."""
    return _member(departement, Role.COORDINATOR, "carol")


@pytest.fixture
def oscar(commune_c):
    """Buyer of an outsider commune: must never see A's, B's or the département's data."""
    return _member(commune_c, Role.BUYER, "oscar")


@pytest.fixture
def victor(db):
    """A vendor's user."""
    user = f.UserFactory(username="victor")
    f.VendorFactory(name="Numérique Éducation SAS").users.add(user)
    return user


@pytest.fixture
def site_a(commune_a):
    return f.SiteFactory(name="École élémentaire Jules Ferry", commune=commune_a, competent_collectivity=commune_a)


@pytest.fixture
def site_b(commune_b):
    return f.SiteFactory(name="École maternelle Les Tilleuls", commune=commune_b, competent_collectivity=commune_b)


@pytest.fixture
def api_client():
    return APIClient()


def login(client, user):
    client.force_login(user)
    return client
