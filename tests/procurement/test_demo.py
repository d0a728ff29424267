"""The demo command builds a complete, realistic scenario from the built-in territory and keeps it on rerun."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from procurement.audit import action_label, audit_changes
from procurement.models import AuditEvent, Campaign, Grouping, MatchStatus, NeedLine, User
from reports.models import GeneratedDocument
from tenders.models import Publication


@pytest.fixture
def demo_settings(settings, tmp_path):
    settings.REFERENCE_DATA_DIR = tmp_path / "absent"  # no ../shared: the built-in territory is used
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "demo-output"


@pytest.mark.django_db
def test_demo_builds_the_whole_flow_and_prints_the_logins(demo_settings, client):
    out = StringIO()
    call_command("demo", "--no-serve", "--output", str(demo_settings), stdout=out)
    printed = out.getvalue()

    campaign = Campaign.objects.get()
    lines = NeedLine.objects.filter(campaign=campaign)
    assert 400 <= lines.count() <= 650
    assert lines.values("collectivity").distinct().count() >= 25
    assert not lines.filter(match_status=MatchStatus.PENDING).exists()
    assert lines.filter(match_status=MatchStatus.CONFIRMED).exists()
    assert lines.filter(match_status=MatchStatus.REVIEW).exists()  # some left for the review queue
    # furniture declared « hors catalogue » (a CPV code when the nomenclature is loaded, none with the catalog's only)
    assert lines.filter(
        match_status=MatchStatus.CONFIRMED, catalog_item__isnull=True, text__icontains="chaises"
    ).exists()
    statuses = set(campaign.participations.values_list("status", flat=True))
    assert statuses >= {"submitted", "started"} or statuses >= {"submitted", "invited"}  # some late members
    buyer_commune = User.objects.get(username="acheteur01").memberships.get().collectivity
    assert campaign.participations.get(collectivity=buyer_commune).status != "submitted"  # for the walk-through
    assert Grouping.objects.count() == 2
    assert all(g.lots.exists() for g in Grouping.objects.all())
    assert GeneratedDocument.objects.filter(status="done").count() == 6
    assert Publication.objects.published().count() == 1
    # the territory load leaves the same audit row as the import commands
    [territory] = AuditEvent.objects.filter(action="reference.import_territoire")
    assert territory.after["created"] > 0 and "intégré" in territory.after["source"]

    # every event of the scenario reads in French in the journal
    for event in AuditEvent.objects.all():
        assert action_label(event.action) != event.action, event.action
        audit_changes(event)
    client.force_login(User.objects.get(username="coordinateur"))
    assert client.get(reverse("procurement:audit_log")).status_code == 200

    pdfs = sorted(demo_settings.glob("*.pdf"))
    assert len(pdfs) == 4 and len(list(demo_settings.glob("*.xlsx"))) == 2
    text = "".join(page.extract_text() for page in PdfReader(pdfs[0]).pages)
    assert "GC-2027-001" in text or "GC-" in text

    for login in ("coordinateur", "acheteur01", "acheteur.departement", "lecteur.departement", "fournisseur", "admin"):
        assert login in printed
        assert User.objects.get(username=login).check_password("mutualis-demo")


@pytest.mark.django_db
def test_running_the_demo_twice_keeps_the_data(demo_settings):
    call_command("demo", "--no-serve", "--output", str(demo_settings), stdout=StringIO())
    counts = NeedLine.objects.count(), Grouping.objects.count()
    out = StringIO()
    call_command("demo", "--no-serve", "--output", str(demo_settings), stdout=out)
    assert (NeedLine.objects.count(), Grouping.objects.count()) == counts
    assert "existe déjà" in out.getvalue()
