from types import SimpleNamespace

import pytest

from procurement.errors import DomainError, PermissionDenied
from procurement.models import AuditEvent
from procurement.rules import PROCEDURE_LABELS
from reports import services
from reports.context import document_context
from reports.models import DocumentKind, GeneratedDocument, JobStatus
from reports.pdf import render_pdf
from reports.services import (
    document_generate,
    document_generate_now,
    document_request,
    export_to,
    human_filename,
)
from tests.reports.helpers import pdf_text, read_file, workbook


def test_coordinator_request_is_pending_audited_and_queued_on_commit(
    grouping, carol, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        document = document_request(grouping=grouping, kind=DocumentKind.SPECIFICATION, actor=carol)

    assert document.status == JobStatus.PENDING
    assert document.requested_by == carol
    assert len(callbacks) == 1
    assert AuditEvent.objects.filter(action="document.requested", target_id=str(document.pk)).exists()


def test_queued_task_generates_the_document_eagerly(grouping, carol, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        document = document_request(grouping=grouping, kind=DocumentKind.TENDER_SUMMARY, actor=carol)

    document.refresh_from_db()
    assert document.status == JobStatus.DONE
    assert document.progress == 100


def test_a_second_request_while_pending_returns_the_same_document(grouping, carol):
    first = document_request(grouping=grouping, kind=DocumentKind.SPECIFICATION, actor=carol)
    second = document_request(grouping=grouping, kind=DocumentKind.SPECIFICATION, actor=carol)

    assert first.pk == second.pk
    assert GeneratedDocument.objects.count() == 1


@pytest.mark.parametrize("actor_name", ["alice", "bob", "oscar"])
def test_only_the_coordinator_may_request(request, grouping, actor_name):
    actor = request.getfixturevalue(actor_name)

    with pytest.raises(PermissionDenied):
        document_request(grouping=grouping, kind=DocumentKind.SPECIFICATION, actor=actor)
    assert not GeneratedDocument.objects.exists()


def test_request_rejects_an_unknown_kind(grouping, carol):
    with pytest.raises(DomainError) as error:
        document_request(grouping=grouping, kind="convention", actor=carol)
    assert error.value.field == "kind"


def test_specification_pdf_holds_lots_cpv_members_sites_and_quantities(grouping, carol, commune_a, commune_b):
    document = document_generate_now(grouping=grouping, kind=DocumentKind.SPECIFICATION, actor=carol)

    assert document.status == JobStatus.DONE, document.error
    assert document.filename == "GC-2027-001-cahier-des-charges.pdf"
    assert document.size == document.file.size > 0
    assert document.finished_at is not None
    assert "GC-2027-001" not in document.file.name  # stored under a random name
    text = pdf_text(read_file(document))
    for expected in [
        "GC-2027-001",
        "Cahier des charges groupé",
        "Sommaire",
        "Lot 1 — Tablettes et classes mobiles",
        "Lot 2 — Vidéoprojection interactive",
        "30213200-7",
        "38652120-7",
        "Ille-et-Vilaine",
        "Bruz",
        "Cesson-Sévigné",
        f"Bruz {commune_a.siren}",
        f"Cesson-Sévigné {commune_b.siren}",
        "Écran 10 pouces minimum",
        "École élémentaire Jules Ferry",
        "École Pasteur",
        "École maternelle Les Tilleuls",
        "Total du lot 1 45",
        "Total du lot 2 5",
        "Garantie et maintenance",
        "Accessibilité",
        "Considérations environnementales",
        "Page 1 sur",
    ]:
        assert expected in text, expected


def test_specification_lists_each_site_with_uai_and_quantity(grouping, carol, site_a, site_a2, site_b):
    document = document_generate_now(grouping=grouping, kind=DocumentKind.SPECIFICATION, actor=carol)

    text = pdf_text(read_file(document))
    assert f"{site_a.uai} École élémentaire Jules Ferry Bruz 20" in text
    assert f"{site_a2.uai} École Pasteur Bruz 10" in text
    assert f"{site_b.uai} École maternelle Les Tilleuls Cesson-Sévigné 15" in text


def test_tender_summary_follows_eforms_order_and_shows_totals(grouping, carol, departement, commune_a):
    document = document_generate_now(grouping=grouping, kind=DocumentKind.TENDER_SUMMARY, actor=carol)

    assert document.filename == "GC-2027-001-synthese-consultation.pdf"
    text = pdf_text(read_file(document))
    positions = [
        text.index(heading)
        for heading in ["Acheteur — coordonnateur du groupement", "Membres du groupement", "Procédure", "Lots", "Durée"]
    ]
    assert positions == sorted(positions)
    # The procedure section carries the assessment of the pooled total, with its legal references.
    assert any(label in text for label in PROCEDURE_LABELS.values())
    assert "R2121-1" in text
    for expected in [
        f"SIREN {departement.siren}",
        "Tablettes et classes mobiles",
        "30213200-7",
        "15 750,00 €",
        "6 000,00 €",
        "Valeur estimée totale HT, reconductions comprises : 43 500,00 €",
        "Soit 21 750,00 € HT par période de 24 mois, sur 2 périodes",
        "24 mois",
        "1 reconduction de 24 mois",
        "48 mois",
        f"Bruz (SIREN {commune_a.siren}) : 30",
    ]:
        assert expected in text, expected


def test_tender_summary_shows_the_procedure_section_when_given(grouping):
    context = document_context(grouping=grouping)
    context["procedure"] = SimpleNamespace(
        total_value_ht="21750.00",
        procedure_label="Procédure adaptée (MAPA)",
        publicity=["Profil d'acheteur", "BOAMP ou JAL"],
        explanation="La valeur totale du groupement est inférieure au seuil européen.",
        references=["CCP R2123-1", "CCP R2131-12"],
    )

    text = pdf_text(render_pdf("pdf/tender_summary.html", context))

    assert (
        text.index("Membres du groupement")
        < text.index("Procédure adaptée (MAPA)")
        < text.index("Lots de la consultation")
    )
    assert "Profil d'acheteur ; BOAMP ou JAL" in text
    assert "CCP R2131-12" in text


def test_price_schedule_has_bpu_dqe_and_breakdowns_with_formulas(grouping, carol, commune_a, site_a, site_a2, site_b):
    document = document_generate_now(grouping=grouping, kind=DocumentKind.PRICE_SCHEDULE, actor=carol)

    assert document.status == JobStatus.DONE, document.error
    assert document.filename == "GC-2027-001-bpu-dqe.xlsx"
    wb = workbook(read_file(document))
    assert wb.sheetnames == ["Instructions", "BPU", "DQE", "Répartition par membre", "Répartition par site"]

    bpu = [list(r) for r in wb["BPU"].iter_rows(values_only=True)]
    assert bpu[0] == [
        "Lot", "N° prix", "Désignation", "Spécifications techniques minimales", "Unité", "Code CPV",
        "Prix unitaire HT (€)",
    ]  # fmt: skip
    assert bpu[1][:3] == [1, "1.01", "Tablette tactile 10 pouces"]
    assert bpu[1][5] == "30213200-7"
    assert bpu[1][6] is None  # to be filled by the tenderer
    assert wb["BPU"]["G2"].fill.fgColor.rgb.endswith("FFF2CC")
    assert wb["BPU"].freeze_panes == "A2"

    dqe = wb["DQE"]
    assert [c.value for c in dqe[1]] == [
        "Lot", "N° prix", "Désignation", "Unité", "Quantité", "Prix unitaire HT (€)", "Montant HT (€)",
    ]  # fmt: skip
    assert dqe["E2"].value == 45
    assert dqe["F2"].value == "=BPU!G2"
    assert dqe["G2"].value == "=E2*F2"
    assert dqe["C3"].value.startswith("Total lot 1 HT")
    assert dqe["G3"].value == "=SUM(G2:G2)"
    assert dqe["E4"].value == 5
    assert dqe["F4"].value == "=BPU!G3"
    assert dqe["G5"].value == "=SUM(G4:G4)"
    assert dqe["C7"].value == "Total général HT"
    assert dqe["G7"].value == "=G3+G5"
    assert "€" in dqe["G2"].number_format

    members = [list(r) for r in wb["Répartition par membre"].iter_rows(values_only=True)]
    assert [
        "Bruz",
        commune_a.siren,
        1,
        "1.01",
        "Tablette tactile 10 pouces",
        "unité",
        30,
        "=BPU!G2",
        "=G2*H2",
    ] in members
    assert ["Total Bruz HT", None, None, None, None, None, None, None, "=SUM(I2:I3)"] in members

    sites = [list(r) for r in wb["Répartition par site"].iter_rows(values_only=True)]
    assert sites[0][:3] == ["Membre", "UAI", "Site"]
    site_rows = {(r[1], r[3], r[7]) for r in sites[1:] if r[1]}
    assert site_rows == {
        (site_a.uai, 1, 20),
        (site_a2.uai, 1, 10),
        (site_b.uai, 1, 15),
        (site_a.uai, 2, 2),
        (site_b.uai, 2, 3),
    }
    assert sum(r[7] for r in sites[1:] if r[1]) == 50


def test_generation_failure_ends_failed_with_a_french_message(grouping, carol, caplog):
    document = GeneratedDocument.objects.create(grouping=grouping, kind="convention", requested_by=carol)

    result = document_generate(document_id=document.pk)

    document.refresh_from_db()
    assert result.status == document.status == JobStatus.FAILED
    assert document.error == "Type de document inconnu : « convention »."
    assert document.finished_at is not None
    assert not document.file
    assert "Échec de la génération" in caplog.text


def test_unexpected_error_is_logged_and_reported_generically(grouping, carol, monkeypatch, caplog):
    def broken(ctx):
        raise RuntimeError("weasyprint exploded")

    monkeypatch.setitem(services.RENDERERS, DocumentKind.SPECIFICATION, ("cahier-des-charges", "pdf", broken))

    document = document_generate_now(grouping=grouping, kind=DocumentKind.SPECIFICATION, actor=carol)

    assert document.status == JobStatus.FAILED
    assert document.error.startswith("La génération du document a échoué")
    assert "weasyprint exploded" not in document.error
    assert "weasyprint exploded" in caplog.text
    assert AuditEvent.objects.filter(action="document.failed", target_id=str(document.pk)).exists()


def test_generation_rechecks_that_the_requester_still_coordinates(grouping, carol):
    document = document_request(grouping=grouping, kind=DocumentKind.SPECIFICATION, actor=carol)
    carol.memberships.all().delete()

    document_generate(document_id=document.pk)

    document.refresh_from_db()
    assert document.status == JobStatus.FAILED
    assert "plus coordonnateur" in document.error


def test_generating_a_finished_document_again_changes_nothing(grouping, carol):
    document = document_generate_now(grouping=grouping, kind=DocumentKind.TENDER_SUMMARY, actor=carol)
    name = document.file.name

    again = document_generate(document_id=document.pk)

    assert again.file.name == name
    assert again.status == JobStatus.DONE


def test_export_to_writes_the_human_file_name(grouping, carol, tmp_path):
    document = document_generate_now(grouping=grouping, kind=DocumentKind.PRICE_SCHEDULE, actor=carol)

    path = export_to(document, tmp_path / "demo-output")

    assert path == tmp_path / "demo-output" / "GC-2027-001-bpu-dqe.xlsx"
    assert path.read_bytes() == read_file(document)


def test_export_to_refuses_an_unfinished_document(grouping, carol, tmp_path):
    document = document_request(grouping=grouping, kind=DocumentKind.SPECIFICATION, actor=carol)

    with pytest.raises(DomainError):
        export_to(document, tmp_path)


def test_human_filename_is_safe_for_odd_references(grouping):
    grouping.reference = "GC 2027/007 é"

    assert human_filename(grouping=grouping, kind=DocumentKind.SPECIFICATION) == "GC-2027007-E-cahier-des-charges.pdf"


def test_unmatched_need_lines_and_missing_sites_do_not_break_documents(grouping, carol, commune_b):
    from tests import factories as f

    need = f.NeedLineFactory(campaign=grouping.campaign, collectivity=commune_b, site=None, quantity=4)
    f.LotLineFactory(lot=grouping.lots.get(number=1), need_line=need)

    for kind in DocumentKind.values:
        document = document_generate_now(grouping=grouping, kind=kind, actor=carol)
        assert document.status == JobStatus.DONE, (kind, document.error)

    sheet = workbook(read_file(document))["Répartition par site"]
    assert ["Cesson-Sévigné", None, "Site à préciser", 1] in [list(r[:4]) for r in sheet.iter_rows(values_only=True)]


def test_a_grouping_without_lots_still_gets_its_documents(carol, campaign, departement, media_root):
    from tests import factories as f

    empty = f.GroupingFactory(campaign=campaign, coordinator=departement)

    for kind in DocumentKind.values:
        document = document_generate_now(grouping=empty, kind=kind, actor=carol)
        assert document.status == JobStatus.DONE, (kind, document.error)
