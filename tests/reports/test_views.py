import pytest
from django.urls import reverse

from reports.models import DocumentKind, GeneratedDocument, JobStatus
from reports.services import document_generate_now
from tests.conftest import login


@pytest.fixture
def done_document(grouping, carol):
    return document_generate_now(grouping=grouping, kind=DocumentKind.SPECIFICATION, actor=carol)


@pytest.fixture
def pending_document(grouping, carol):
    return GeneratedDocument.objects.create(
        grouping=grouping, kind=DocumentKind.TENDER_SUMMARY, requested_by=carol, status=JobStatus.RUNNING, progress=50
    )


def generate_url(grouping):
    return reverse("reports:generate", kwargs={"grouping_pk": grouping.pk})


def test_coordinator_generates_and_is_sent_back_to_the_grouping(
    client, grouping, carol, django_capture_on_commit_callbacks
):
    login(client, carol)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(generate_url(grouping), {"kind": DocumentKind.PRICE_SCHEDULE})

    assert response.status_code == 302
    assert response.url.startswith(reverse("procurement:grouping_detail", kwargs={"pk": grouping.pk}))
    document = GeneratedDocument.objects.get()
    assert document.status == JobStatus.DONE
    assert document.requested_by == carol


def test_member_may_not_generate(client, grouping, alice):
    login(client, alice)

    response = client.post(generate_url(grouping), {"kind": DocumentKind.SPECIFICATION})

    assert response.status_code == 403
    assert "Seul le coordonnateur du groupement" in response.content.decode()
    assert not GeneratedDocument.objects.exists()


def test_unknown_kind_is_reported_not_created(client, grouping, carol):
    login(client, carol)

    response = client.post(generate_url(grouping), {"kind": "convention"}, follow=True)

    assert "Type de document inconnu." in response.content.decode()
    assert not GeneratedDocument.objects.exists()


def test_generate_needs_post(client, grouping, carol):
    login(client, carol)

    assert client.get(generate_url(grouping)).status_code == 405


def test_member_downloads_a_finished_document(client, alice, done_document):
    login(client, alice)

    response = client.get(reverse("reports:download", kwargs={"pk": done_document.pk}))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'attachment; filename="GC-2027-001-cahier-des-charges.pdf"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_excel_download_has_the_spreadsheet_content_type(client, grouping, carol):
    document = document_generate_now(grouping=grouping, kind=DocumentKind.PRICE_SCHEDULE, actor=carol)
    login(client, carol)

    response = client.get(reverse("reports:download", kwargs={"pk": document.pk}))

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_unfinished_document_cannot_be_downloaded(client, carol, pending_document):
    login(client, carol)

    assert client.get(reverse("reports:download", kwargs={"pk": pending_document.pk})).status_code == 404


def test_withdrawn_member_loses_access(client, grouping, alice, done_document):
    grouping.memberships.filter(collectivity__name="Bruz").update(status="withdrawn")
    login(client, alice)

    assert client.get(reverse("reports:download", kwargs={"pk": done_document.pk})).status_code == 404


def test_status_polls_while_running(client, alice, pending_document):
    login(client, alice)

    response = client.get(reverse("reports:status", kwargs={"pk": pending_document.pk}))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'hx-trigger="every 2s"' in html
    assert '<progress class="progress" max="100" value="50" aria-label="Avancement de la génération : 50 %"' in html


def test_status_of_a_finished_document_links_the_download_and_stops_polling(client, carol, done_document):
    login(client, carol)

    html = client.get(reverse("reports:status", kwargs={"pk": done_document.pk})).content.decode()

    assert "hx-trigger" not in html
    assert reverse("reports:download", kwargs={"pk": done_document.pk}) in html
    assert "<progress" not in html


def test_status_of_a_failed_document_shows_the_error(client, grouping, carol):
    document = GeneratedDocument.objects.create(
        grouping=grouping, kind=DocumentKind.SPECIFICATION, status=JobStatus.FAILED, error="Type de document inconnu."
    )
    login(client, carol)

    html = client.get(reverse("reports:status", kwargs={"pk": document.pk})).content.decode()

    assert "Type de document inconnu." in html
    assert "badge-failed" in html


def test_documents_partial_shows_generate_buttons_only_to_the_coordinator(rf, grouping, carol, alice, done_document):
    from django.template.loader import render_to_string

    from reports.selectors import documents_for

    def render(user, can_manage):
        request = rf.get("/")
        request.user = user
        context = {"grouping": grouping, "documents": documents_for(user=user, grouping=grouping)}
        return render_to_string("reports/_documents.html", {**context, "can_manage": can_manage}, request=request)

    coordinator_html, member_html = render(carol, True), render(alice, False)

    assert coordinator_html.count('name="kind"') == 3
    assert 'value="price_schedule"' in coordinator_html
    assert "csrfmiddlewaretoken" in coordinator_html
    assert 'name="kind"' not in member_html
    assert "GC-2027-001-cahier-des-charges.pdf" in member_html


@pytest.mark.parametrize("route", ["generate", "download", "status"])
def test_outsider_gets_404(client, grouping, oscar, done_document, route):
    login(client, oscar)

    if route == "generate":
        response = client.post(generate_url(grouping), {"kind": DocumentKind.SPECIFICATION})
    else:
        response = client.get(reverse(f"reports:{route}", kwargs={"pk": done_document.pk}))

    assert response.status_code == 404


@pytest.mark.parametrize("route", ["generate", "download", "status"])
def test_anonymous_is_sent_to_login(client, grouping, done_document, route):
    if route == "generate":
        response = client.post(generate_url(grouping), {"kind": DocumentKind.SPECIFICATION})
    else:
        response = client.get(reverse(f"reports:{route}", kwargs={"pk": done_document.pk}))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_vendor_gets_404(client, victor, done_document):
    login(client, victor)

    assert client.get(reverse("reports:download", kwargs={"pk": done_document.pk})).status_code == 404
