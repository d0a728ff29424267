from io import BytesIO

import pytest
from pypdf import PdfReader

from reports.pdf import BASE_URL, ResourceRefused, StaticOnlyURLFetcher, html_to_pdf, render_pdf, static_path_for
from tests.reports.helpers import pdf_text


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/style.css",
        "https://example.com/static/reports/pdf.css",
        "file:///etc/passwd",
        "file:///work/main/reports/static/reports/pdf.css",
        "data:text/css,body{color:red}",
        "ftp://static.mutualis.invalid/static/reports/pdf.css",
        f"{BASE_URL}etc/passwd",
        f"{BASE_URL}static/../../../../etc/passwd",
        f"{BASE_URL}static/%2e%2e/%2e%2e/etc/passwd",
        f"{BASE_URL}static/reports/absent.css",
    ],
)
def test_url_fetcher_refuses_anything_but_our_static_files(url):
    with pytest.raises(ResourceRefused):
        StaticOnlyURLFetcher().fetch(url)


def test_url_fetcher_serves_a_static_file():
    response = StaticOnlyURLFetcher().fetch(f"{BASE_URL}static/reports/pdf.css")

    assert response.content_type == "text/css"
    assert b'Page " counter(page) " sur " counter(pages)' in response.read()
    assert static_path_for(f"{BASE_URL}static/reports/pdf.css").name == "pdf.css"


def test_remote_and_local_resources_in_html_are_not_loaded(monkeypatch):
    # given a template that links a remote stylesheet and a local file
    requested = []
    original = StaticOnlyURLFetcher.fetch

    def spy(self, url, headers=None):
        requested.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(StaticOnlyURLFetcher, "fetch", spy)
    html = (
        '<html lang="fr"><head><title>Test</title>'
        '<link rel="stylesheet" href="http://example.com/evil.css">'
        '<link rel="stylesheet" href="file:///etc/passwd"></head>'
        '<body><p>Bonjour</p><img src="file:///etc/hostname" alt="x"></body></html>'
    )

    # when rendered, then the fetcher was asked and refused (no exception escapes, the PDF is produced)
    content = html_to_pdf(html)

    assert content.startswith(b"%PDF")
    assert set(requested) == {"http://example.com/evil.css", "file:///etc/passwd", "file:///etc/hostname"}
    assert "Bonjour" in pdf_text(content)


def test_render_pdf_is_tagged_pdf_ua_in_french_with_a_title(grouping):
    from reports.context import document_context

    content = render_pdf("pdf/tender_summary.html", document_context(grouping=grouping))

    reader = PdfReader(BytesIO(content))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "fr"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert reader.metadata.title == "Synthèse de la consultation — GC-2027-001"
    xmp = root["/Metadata"].get_object().get_data()
    assert b'pdfuaid:part="1"' in xmp  # PDF/UA-1 identification
