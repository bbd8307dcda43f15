"""The SSP as PDF: the document model through templates/ssp/print.html and static/ssp/print.css into WeasyPrint.

WeasyPrint reads nothing but what ``LocalOnlyFetcher`` hands it: our own static files (found through Django's
staticfiles finders) and the in-memory assets we pass (the network diagram). Every other URL (http, https, file,
data, ftp...) is refused without being opened, wherever it appears: <img>, <link>, CSS url() and @import, SVG
<image>, attachments. User text is escaped by Django's autoescape in the template; it never becomes markup.

The font is DejaVu Sans from Debian's fonts-dejavu-core, served as a static file (settings.STATICFILES_DIRS
"vendor/dejavu"): nothing third-party is committed, and every PDF embeds the same font whatever the machine has.

``render`` runs in the calling process. Views run it through ``cmmc_site.render_guard.run_limited`` (a child
process with a wall-clock and an address-space limit) by way of ``ssp.jobs``; the document model is plain picklable
data for that.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .blocks import Figure, SspDocument

# A reserved name (RFC 2606): never resolved, only recognised by the fetcher below.
HOST = "ssp.invalid"
ORIGIN = f"https://{HOST}"
STATIC_BASE = f"{ORIGIN}/static/"
ASSET_BASE = f"{ORIGIN}/asset/"
MAX_STATIC_BYTES = 5 * 1024 * 1024


class RefusedURL(ValueError):
    """The renderer asked for something other than our static files or our own assets."""


class LocalOnlyFetcher(URLFetcher):
    """Serves our static files and the given in-memory assets; refuses every other URL without opening it."""

    def __init__(self, assets: Mapping[str, tuple[str, bytes]] | None = None):
        super().__init__(timeout=1, allowed_protocols=("https",), allow_redirects=False, fail_on_errors=False)
        self.assets = dict(assets or {})
        self.served: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        try:
            content_type, body = self._resolve(url)
        except RefusedURL:
            self.refused.append(url[:200])
            raise
        self.served.append(url)
        return URLFetcherResponse(url, body=body, headers={"Content-Type": content_type})

    def _resolve(self, url: str) -> tuple[str, bytes]:
        try:
            parts = urlsplit(url)
        except ValueError:
            raise RefusedURL("malformed URL") from None
        if parts.scheme != "https" or parts.netloc != HOST or parts.query or parts.username or parts.port:
            raise RefusedURL("not one of our URLs")
        path = unquote(parts.path)
        if path.startswith("/asset/") and path[len("/asset/"):] in self.assets:
            return self.assets[path[len("/asset/"):]]
        if path.startswith("/static/"):
            return _static_file(path[len("/static/"):])
        raise RefusedURL("not one of our URLs")


def _static_file(relative: str) -> tuple[str, bytes]:
    segments = relative.split("/")
    if not relative or "\\" in relative or "\x00" in relative or any(s in ("", ".", "..") for s in segments):
        raise RefusedURL("not a plain static path")
    found = finders.find(relative)
    if not found:
        raise RefusedURL("no such static file")
    path = Path(found)
    if not path.is_file() or path.stat().st_size > MAX_STATIC_BYTES:
        raise RefusedURL("not a static file we serve")
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix == ".css":
        content_type = "text/css"
    return content_type, path.read_bytes()


def assets_for(doc: SspDocument) -> dict[str, tuple[str, bytes]]:
    figures = [b for s in doc.sections for b in s.blocks if isinstance(b, Figure)]
    return {f.name: (f.content_type, f.data) for f in figures}


def render_html(doc: SspDocument, *, poam_only: bool = False) -> str:
    return render_to_string("ssp/print.html", {
        "doc": doc, "static_base": STATIC_BASE, "asset_base": ASSET_BASE, "poam_only": poam_only,
        "sections": [doc.poam_section] if poam_only else doc.sections,
    })


def html_to_pdf(html: str, *, assets: Mapping[str, tuple[str, bytes]] | None = None,
                fetcher: LocalOnlyFetcher | None = None, **options) -> bytes:
    """Any HTML to PDF with the local-only fetcher (``options`` go to WeasyPrint's write_pdf)."""
    fetcher = fetcher or LocalOnlyFetcher(assets)
    return HTML(string=html, base_url=f"{ORIGIN}/", url_fetcher=fetcher).write_pdf(**options)


def render(doc: SspDocument) -> bytes:
    return html_to_pdf(render_html(doc), assets=assets_for(doc))
