"""Import pages and API: upload → preview → confirmation, background jobs polled with htmx, tenancy."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from procurement.models import ImportStatus, NeedLine, NeedsImportJob
from tests import factories as f
from tests.procurement.test_imports import HEADERS, csv_bytes, xlsx_bytes

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(content: bytes, name: str = "besoins.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def good_file() -> bytes:
    return xlsx_bytes([HEADERS, ["Tablettes 10 pouces", 15], ["Casques audio", 30]])


# Pages


def test_upload_preview_then_confirm(client, campaign, commune_a, alice):
    client.force_login(alice)
    url = reverse("procurement:campaign_import", args=[campaign.pk])
    page = client.get(url).content.decode()
    assert "modèle de Bruz" in page and f"collectivite={commune_a.pk}" in page
    # given an uploaded file, the preview shows what will be created and saves nothing
    response = client.post(url, {"collectivity": commune_a.pk, "file": upload(good_file())}, follow=True)
    body = response.content.decode()
    assert "Prêt à importer" in body and "Lignes à créer" in body and "Tablettes 10 pouces" in body
    assert "Confirmer l'import" in body and NeedLine.objects.count() == 0
    job = NeedsImportJob.objects.get()
    assert job.status == ImportStatus.READY and job.counts["create"] == 2
    # when the user confirms, the lines are created from the stored file (the client sends nothing again)
    response = client.post(reverse("procurement:campaign_import_confirm", args=[campaign.pk, job.pk]), follow=True)
    assert "Import terminé" in response.content.decode()
    assert NeedLine.objects.count() == 2
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and bytes(job.content) == b""
    # and confirming twice does nothing more
    client.post(reverse("procurement:campaign_import_confirm", args=[campaign.pk, job.pk]))
    assert NeedLine.objects.count() == 2


def test_a_wrong_file_shows_the_errors_and_saves_nothing(client, campaign, commune_a, alice):
    client.force_login(alice)
    content = csv_bytes([["Désignation", "Quantité"], ["Tablettes", "12,5"]])
    response = client.post(
        reverse("procurement:campaign_import", args=[campaign.pk]),
        {"collectivity": commune_a.pk, "file": upload(content, "besoins.csv")},
        follow=True,
    )
    body = response.content.decode()
    assert "aucune ligne n'a été enregistrée" in body and "Ligne 2, colonne B « Quantité »" in body
    assert "Confirmer" not in body and NeedLine.objects.count() == 0


@pytest.mark.parametrize("content", [b"", b"garbage", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100])
def test_hostile_uploads_never_fail_the_page(client, campaign, commune_a, alice, content):
    client.force_login(alice)
    response = client.post(
        reverse("procurement:campaign_import", args=[campaign.pk]),
        {"collectivity": commune_a.pk, "file": upload(content)},
        follow=True,
    )
    assert response.status_code == 200 and NeedLine.objects.count() == 0


def test_large_files_run_in_the_background_with_a_polled_progress_page(
    client, campaign, commune_a, alice, settings, django_capture_on_commit_callbacks
):
    settings.NEEDS_IMPORT_ASYNC_ROWS = 3
    client.force_login(alice)
    content = xlsx_bytes([HEADERS] + [[f"Besoin {n}", n] for n in range(1, 11)])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse("procurement:campaign_import", args=[campaign.pk]),
            {"collectivity": commune_a.pk, "file": upload(content)},
        )
    job = NeedsImportJob.objects.get()
    assert job.status == ImportStatus.PENDING and len(callbacks) == 1
    # the page polls the job while it runs
    body = client.get(response["Location"]).content.decode()
    assert (
        'hx-trigger="every 2s"' in body
        and reverse("procurement:campaign_import_status", args=[campaign.pk, job.pk]) in body
    )
    # the task (eager without a broker) analyses the file
    callbacks[0]()
    job.refresh_from_db()
    assert job.status == ImportStatus.READY and job.rows == 10
    partial = client.get(reverse("procurement:campaign_import_status", args=[campaign.pk, job.pk]))
    assert "every 2s" not in partial.content.decode() and "Confirmer l'import" in partial.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("procurement:campaign_import_confirm", args=[campaign.pk, job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and NeedLine.objects.count() == 10


def test_template_download_opens_in_excel(client, campaign, commune_a, alice, site_a):
    client.force_login(alice)
    response = client.get(reverse("procurement:campaign_template", args=[campaign.pk]), {"collectivite": commune_a.pk})
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert "Besoins" in book.sheetnames


def test_coordinator_downloads_any_members_template_buyer_only_its_own(
    client, campaign, commune_a, commune_b, alice, carol
):
    url = reverse("procurement:campaign_template", args=[campaign.pk])
    client.force_login(alice)
    assert client.get(url, {"collectivite": commune_b.pk}).status_code == 404
    assert client.get(url).status_code == 200  # a single collectivité: no parameter needed
    client.force_login(carol)
    assert client.get(url, {"collectivite": commune_b.pk}).status_code == 200


def test_export_page_download(client, campaign, commune_a, alice):
    f.NeedLineFactory(campaign=campaign, collectivity=commune_a, text="Ligne de A")
    client.force_login(alice)
    response = client.get(reverse("procurement:campaign_export", args=[campaign.pk]))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    rows = list(load_workbook(io.BytesIO(response.content))["Besoins"].iter_rows(min_row=2, values_only=True))
    assert rows[0][1] == "Ligne de A"


def test_a_job_is_invisible_to_another_collectivity(client, campaign, commune_a, alice, bob):
    client.force_login(alice)
    client.post(
        reverse("procurement:campaign_import", args=[campaign.pk]),
        {"collectivity": commune_a.pk, "file": upload(good_file())},
    )
    job = NeedsImportJob.objects.get()
    client.force_login(bob)
    assert client.get(reverse("procurement:campaign_import_detail", args=[campaign.pk, job.pk])).status_code == 404
    assert client.post(reverse("procurement:campaign_import_confirm", args=[campaign.pk, job.pk])).status_code == 404
    assert NeedLine.objects.count() == 0


def test_a_buyer_cannot_post_for_another_collectivity(client, campaign, commune_b, alice):
    client.force_login(alice)
    response = client.post(
        reverse("procurement:campaign_import", args=[campaign.pk]),
        {"collectivity": commune_b.pk, "file": upload(good_file())},
    )
    assert response.status_code == 200 and "collectivity" in response.context["form"].errors
    assert not NeedsImportJob.objects.exists()


def _page_routes(campaign, job):
    return [
        ("get", reverse("procurement:campaign_import", args=[campaign.pk])),
        ("post", reverse("procurement:campaign_import", args=[campaign.pk])),
        ("get", reverse("procurement:campaign_import_detail", args=[campaign.pk, job.pk])),
        ("get", reverse("procurement:campaign_import_status", args=[campaign.pk, job.pk])),
        ("post", reverse("procurement:campaign_import_confirm", args=[campaign.pk, job.pk])),
        ("get", reverse("procurement:campaign_template", args=[campaign.pk])),
        ("get", reverse("procurement:campaign_export", args=[campaign.pk])),
    ]


def test_outsiders_get_404_on_every_import_page(client, campaign, commune_a, alice, oscar):
    job = NeedsImportJob.objects.create(campaign=campaign, collectivity=commune_a, created_by=alice, filename="x.xlsx")
    client.force_login(oscar)
    for method, url in _page_routes(campaign, job):
        assert getattr(client, method)(url).status_code == 404, url


# API


def test_api_dry_run_then_confirm(api_client, campaign, commune_a, alice):
    api_client.force_authenticate(alice)
    url = reverse("api:campaign-imports", args=[campaign.pk])
    response = api_client.post(url + "?dry_run=1", {"file": upload(good_file())}, format="multipart")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["status"] == "ready" and data["counts"]["create"] == 2 and NeedLine.objects.count() == 0
    assert data["preview"]["create"][0]["text"] == "Tablettes 10 pouces"
    response = api_client.post(reverse("api:campaign-import-confirm", args=[campaign.pk, data["id"]]))
    assert response.status_code == 200 and response.json()["status"] == "done"
    assert NeedLine.objects.count() == 2


def test_api_import_at_once_and_idempotent(api_client, campaign, commune_a, alice):
    api_client.force_authenticate(alice)
    url = reverse("api:campaign-imports", args=[campaign.pk])
    response = api_client.post(url, {"file": upload(good_file()), "collectivity": commune_a.pk}, format="multipart")
    assert response.status_code == 201 and response.json()["counts"]["create"] == 2
    response = api_client.post(url, {"file": upload(good_file())}, format="multipart")
    assert response.status_code == 201 and response.json()["counts"]["unchanged"] == 2
    assert NeedLine.objects.count() == 2


def test_api_refuses_a_wrong_file_with_located_errors(api_client, campaign, commune_a, alice):
    api_client.force_authenticate(alice)
    content = csv_bytes([["Désignation", "Quantité"], ["Tablettes", "douze"]])
    response = api_client.post(
        reverse("api:campaign-imports", args=[campaign.pk]), {"file": upload(content, "b.csv")}, format="multipart"
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["row"], error["column"], error["header"]) == (2, "B", "Quantité")
    assert NeedLine.objects.count() == 0


def test_api_without_file_is_a_clear_400(api_client, campaign, alice):
    api_client.force_authenticate(alice)
    response = api_client.post(reverse("api:campaign-imports", args=[campaign.pk]), {}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()["errors"]


def test_api_large_import_is_accepted_and_followed(
    api_client, campaign, alice, settings, django_capture_on_commit_callbacks
):
    settings.NEEDS_IMPORT_ASYNC_ROWS = 3
    api_client.force_authenticate(alice)
    content = xlsx_bytes([HEADERS] + [[f"Besoin {n}", n] for n in range(1, 11)])
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            reverse("api:campaign-imports", args=[campaign.pk]), {"file": upload(content)}, format="multipart"
        )
    assert response.status_code == 202
    job = api_client.get(response.json()["url"]).json()
    assert job["status"] == "done" and job["counts"]["create"] == 10


def test_api_export(api_client, campaign, commune_a, carol):
    f.NeedLineFactory(campaign=campaign, collectivity=commune_a)
    api_client.force_authenticate(carol)
    response = api_client.get(reverse("api:campaign-export", args=[campaign.pk]))
    assert response.status_code == 200 and response["Content-Type"] == XLSX


def test_api_outsiders_get_404(api_client, campaign, commune_a, alice, oscar):
    job = NeedsImportJob.objects.create(campaign=campaign, collectivity=commune_a, created_by=alice, filename="x.xlsx")
    api_client.force_authenticate(oscar)
    assert (
        api_client.post(
            reverse("api:campaign-imports", args=[campaign.pk]), {"file": upload(good_file())}, format="multipart"
        ).status_code
        == 404
    )
    assert api_client.get(reverse("api:campaign-import-detail", args=[campaign.pk, job.pk])).status_code == 404
    assert api_client.post(reverse("api:campaign-import-confirm", args=[campaign.pk, job.pk])).status_code == 404
    assert api_client.get(reverse("api:campaign-export", args=[campaign.pk])).status_code == 404
    assert api_client.get(reverse("api:campaign-template", args=[campaign.pk])).status_code == 404
    assert NeedLine.objects.count() == 0
