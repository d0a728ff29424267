"""HTML → accessible PDF (WeasyPrint), with a URL fetcher that serves only our own static files.

Pure module: no ORM. Templates link resources with `{% static %}`; relative URLs are resolved against a
fake origin that only `StaticOnlyURLFetcher` understands, so no template (or data injected in one) can make
the renderer read a remote URL or a local file outside the static files.
"""

import mimetypes
import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

import weasyprint
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from weasyprint.urls import URLFetcher, URLFetcherResponse

# RFC 2606 reserves ".invalid": this origin can never resolve to a real host.
STATIC_ORIGIN = "https://static.mutualis.invalid"
BASE_URL = f"{STATIC_ORIGIN}/"
PDF_VARIANT = "pdf/ua-1"


class ResourceRefused(ValueError):
    """A template asked for a resource outside our static files."""


def static_path_for(url: str) -> Path:
    """The file a URL names among the static files, or ResourceRefused. Never follows other schemes."""
    parts = urlsplit(url)
    prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    if f"{parts.scheme}://{parts.netloc}" != STATIC_ORIGIN or not parts.path.startswith(prefix):
        raise ResourceRefused(f"Ressource refusée : {url}")
    relative = posixpath.normpath(unquote(parts.path[len(prefix) :]))
    if relative.startswith(("/", "..")) or "\\" in relative or "\x00" in relative:
        raise ResourceRefused(f"Ressource refusée : {url}")
    try:
        found = finders.find(relative)
    except SuspiciousFileOperation:
        found = None
    if not found:
        raise ResourceRefused(f"Ressource statique introuvable : {url}")
    return Path(found if isinstance(found, str) else found[0])


class StaticOnlyURLFetcher(URLFetcher):
    """Serves files found by the staticfiles finders; refuses every other URL (http, file, data…)."""

    def __init__(self, **kwargs):
        super().__init__(allowed_protocols=("https",), allow_redirects=False, **kwargs)

    def fetch(self, url, headers=None):
        path = static_path_for(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})


def html_to_pdf(html: str) -> bytes:
    """A tagged PDF/UA-1 document. Title and language come from the HTML `<title>` and `<html lang>`."""
    document = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyURLFetcher())
    return document.write_pdf(pdf_variant=PDF_VARIANT)


def render_pdf(template_name: str, context: dict) -> bytes:
    """Render a Django template to an accessible PDF (templates set `<html lang="fr">` and a `<title>`)."""
    return html_to_pdf(render_to_string(template_name, context))
