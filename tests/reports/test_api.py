import pytest
from django.urls import reverse

from reports.models import DocumentKind, GeneratedDocument, JobStatus
from reports.services import document_generate_now


@pytest.fixture
def done_document(grouping, carol):
    return document_generate_now(grouping=grouping, kind=DocumentKind.TENDER_SUMMARY, actor=carol)


def list_url(grouping):
    return reverse("api:reports_grouping_documents", kwargs={"grouping_pk": grouping.pk})


def test_coordinator_requests_a_document_and_gets_202(api_client, grouping, carol, django_capture_on_commit_callbacks):
    api_client.force_authenticate(carol)

    with django_capture_on_commit_callbacks(execute=False):
        response = api_client.post(list_url(grouping), {"kind": "specification"}, format="json")

    assert response.status_code == 202
    assert response.data["kind"] == "specification"
    assert response.data["status"] == JobStatus.PENDING
    assert response.data["progress"] == 0
    assert response.data["download_url"] is None


def test_eager_request_returns_the_finished_document(api_client, grouping, carol, django_capture_on_commit_callbacks):
    api_client.force_authenticate(carol)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(list_url(grouping), {"kind": "tender_summary"}, format="json")

    document = GeneratedDocument.objects.get()
    detail = api_client.get(reverse("api:reports_document_detail", kwargs={"pk": document.pk}))
    assert response.status_code == 202
    assert detail.data["status"] == JobStatus.DONE
    assert detail.data["progress"] == 100
    assert detail.data["download_url"].endswith(f"/api/v1/documents/{document.pk}/download/")


def test_member_lists_and_downloads_but_may_not_request(api_client, grouping, alice, done_document):
    api_client.force_authenticate(alice)

    listing = api_client.get(list_url(grouping))
    download = api_client.get(reverse("api:reports_document_download", kwargs={"pk": done_document.pk}))
    refused = api_client.post(list_url(grouping), {"kind": "specification"}, format="json")

    assert listing.status_code == 200
    assert [d["id"] for d in listing.data["results"]] == [done_document.pk]
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert refused.status_code == 403
    assert refused.data["code"] == "permission_denied"


def test_unknown_kind_is_a_400(api_client, grouping, carol):
    api_client.force_authenticate(carol)

    response = api_client.post(list_url(grouping), {"kind": "convention"}, format="json")

    assert response.status_code == 400
    assert "kind" in response.data["errors"]


def test_unfinished_document_download_is_404(api_client, grouping, carol):
    document = GeneratedDocument.objects.create(grouping=grouping, kind=DocumentKind.SPECIFICATION)
    api_client.force_authenticate(carol)

    response = api_client.get(reverse("api:reports_document_download", kwargs={"pk": document.pk}))

    assert response.status_code == 404


def _routes(grouping, document):
    return [
        ("get", list_url(grouping)),
        ("post", list_url(grouping)),
        ("get", reverse("api:reports_document_detail", kwargs={"pk": document.pk})),
        ("get", reverse("api:reports_document_download", kwargs={"pk": document.pk})),
    ]


def test_outsider_gets_404_on_every_route(api_client, grouping, oscar, done_document):
    api_client.force_authenticate(oscar)

    for method, url in _routes(grouping, done_document):
        response = getattr(api_client, method)(url, {"kind": "specification"}, format="json")
        assert response.status_code == 404, (method, url)
    assert GeneratedDocument.objects.count() == 1


def test_anonymous_is_refused_on_every_route(api_client, grouping, done_document):
    for method, url in _routes(grouping, done_document):
        response = getattr(api_client, method)(url, {"kind": "specification"}, format="json")
        assert response.status_code in (401, 403), (method, url)


def test_vendor_is_refused_on_every_route(api_client, grouping, victor, done_document):
    api_client.force_authenticate(victor)

    for method, url in _routes(grouping, done_document):
        response = getattr(api_client, method)(url, {"kind": "specification"}, format="json")
        assert response.status_code in (403, 404), (method, url)
