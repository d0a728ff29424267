"""The journal speaks French: every action code the services record has a label, and the filter works on families."""

import re
from pathlib import Path

from django.urls import reverse

from procurement.audit import ACTION_FAMILIES, ACTION_LABELS, action_label
from procurement.services.reminders import REMINDER_ACTION

ROOT = Path(__file__).resolve().parents[2]
# Any string literal that looks like an action of a known family, wherever it is written (some services pick the
# action in a variable first: ``event = "document.generated"``).
FAMILIES = "|".join(re.escape(prefix) for prefix in ACTION_FAMILIES)
ACTION_RE = re.compile(rf"""["']((?:{FAMILIES})[a-z_]+)["']""")
NOT_ACTIONS = {"grouping.reference"}  # a serializer source path, not an audit action


def _recorded_actions() -> set[str]:
    found = set()
    for app in ("procurement", "catalog", "tenders", "reports"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                found.update(ACTION_RE.findall(path.read_text(encoding="utf-8")))
    return found - NOT_ACTIONS


def test_every_recorded_action_has_a_french_label():
    actions = _recorded_actions() | {f"reference.import_{kind}" for kind in ("collectivites", "etablissements")}
    # the scan finds the services' actions, including those picked in a variable first
    assert REMINDER_ACTION in actions and "document.generated" in actions and len(actions) > 30
    assert actions <= set(ACTION_LABELS), sorted(actions - set(ACTION_LABELS))


def test_every_label_belongs_to_a_family_of_the_filter():
    assert all(any(code.startswith(prefix) for prefix in ACTION_FAMILIES) for code in ACTION_LABELS)
    assert action_label("unknown.code") == "unknown.code"


def test_the_journal_shows_labels_and_filters_by_family(client, alice, campaign, commune_a):
    from procurement import services

    services.need_line_create(campaign=campaign, collectivity=commune_a, actor=alice, text="Tablettes Bruz", quantity=2)
    client.force_login(alice)
    url = reverse("procurement:audit_log")
    body = client.get(url).content.decode()
    assert "Besoin déclaré" in body and 'value="need_line."' in body and "Lignes de besoin</option>" in body
    assert "Besoin déclaré" not in client.get(url, {"action": "grouping."}).content.decode()
    assert "Besoin déclaré" in client.get(url, {"action": "need_line."}).content.decode()


def test_the_journal_details_name_the_changed_fields_in_french(alice, campaign, commune_a):
    from procurement import services
    from procurement.audit import audit_changes
    from procurement.models import AuditEvent

    line = services.need_line_create(
        campaign=campaign, collectivity=commune_a, actor=alice, text="Tablettes Bruz", quantity=2
    )
    services.need_line_update(line=line, actor=alice, quantity=5)
    event = AuditEvent.objects.get(action="need_line.update")
    changes = {label: (before, after) for label, before, after in audit_changes(event)}
    assert changes["Quantité"] == ("2", "5")
    assert "Texte" not in changes and "Text" not in changes  # unchanged fields are left out
    created = AuditEvent.objects.get(action="need_line.create")
    statuses = {label: after for label, _, after in audit_changes(created)}
    assert statuses["Rapprochement"] == "Non reconnue", statuses


def test_free_form_details_and_reverse_relation_names_are_shown_as_they_are(db):
    from procurement.audit import audit_changes
    from procurement.models import AuditEvent

    event = AuditEvent(
        action="grouping.lots_merge",
        target_type="procurement.grouping",
        before={"lots": [1, 2], "members": None},
        after={"lots": [3], "members": None, "report": {"créées": 2}},
    )
    rows = audit_changes(event)
    assert ("Lots", "[1, 2]", "[3]") in rows
    assert ("Report", "", '{"créées": 2}') in rows
    assert not any(label == "Members" for label, _, _ in rows)  # unchanged
