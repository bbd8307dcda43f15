"""The SSP as PDF: the document model through templates/ssp/print.html and static/ssp/print.css into WeasyPrint.

WeasyPrint reads nothing but what ``LocalOnlyFetcher`` hands it: our own static files (found through Django's
staticfiles finders) and the in-memory assets we pass (the network diagram). Every other URL (http, https, file,
data, ftp...) is refused without being opened, wherever it appears: <img>, <link>, CSS url() and @import, SVG
<image>, attachments. User text is escaped by Django's autoescape in the template; it never becomes markup.

The font is DejaVu Sans from Debian's fonts-dejavu-core, with Noto fonts (fonts-noto-core, fonts-noto-cjk,
fonts-noto-color-emoji) for the characters it lacks, all served as static files (settings.STATICFILES_DIRS
"vendor/dejavu", "vendor/noto", "vendor/noto-cjk"): nothing third-party is committed, and every PDF embeds the same
fonts whatever the machine has. A document declares only the fallbacks its text needs (ssp/fonts.py), in a
stylesheet of its own served as the asset "fonts.css".

``render`` runs in the calling process. Views run it through ``cmmc_site.render_guard.run_limited`` (a child
process with a wall-clock and an address-space limit) by way of ``ssp.jobs``; the document model is plain picklable
data for that.
"""

from __future__ import annotations

import dataclasses
import mimetypes
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from . import fonts
from .blocks import Figure, SspDocument

# A reserved name (RFC 2606): never resolved, only recognised by the fetcher below.
HOST = "ssp.invalid"
ORIGIN = f"https://{HOST}"
STATIC_BASE = f"{ORIGIN}/static/"
ASSET_BASE = f"{ORIGIN}/asset/"
MAX_STATIC_BYTES = 5 * 1024 * 1024
# Fonts are larger: the CJK collection is 20 MB, the colour emoji 10 MB.
MAX_FONT_BYTES = 32 * 1024 * 1024
FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
FONTS_ASSET = "fonts.css"


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
            return _static_file(path[len("/static/"):], parts.fragment)
        raise RefusedURL("not one of our URLs")


def _static_file(relative: str, fragment: str = "") -> tuple[str, bytes]:
    segments = relative.split("/")
    if not relative or "\\" in relative or "\x00" in relative or any(s in ("", ".", "..") for s in segments):
        raise RefusedURL("not a plain static path")
    found = finders.find(relative)
    if not found:
        raise RefusedURL("no such static file")
    path = Path(found)
    limit = MAX_FONT_BYTES if path.suffix in FONT_SUFFIXES else MAX_STATIC_BYTES
    if not path.is_file() or path.stat().st_size > limit:
        raise RefusedURL("not a static file we serve")
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix == ".css":
        content_type = "text/css"
    if path.suffix == ".ttc" and fragment:
        # One font of a collection, named by its PostScript name (CSS Fonts: url(collection.ttc#Name)).
        try:
            return "font/otf", fonts.collection_face(path, fragment)
        except ValueError:
            raise RefusedURL("no such font in the collection") from None
    return content_type, path.read_bytes()


def characters(doc: SspDocument) -> set[str]:
    """Every character of the document's text: what its fonts must draw (the template's own text is English)."""
    chars: set[str] = set()
    stack: list[object] = [doc]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            chars.update(value)
        elif isinstance(value, tuple | list):
            stack.extend(value)
        elif isinstance(value, Figure):
            chars.update(value.caption)  # not its image data
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            stack.extend(getattr(value, f.name) for f in dataclasses.fields(value))
    return chars


def font_fallbacks(doc: SspDocument) -> list[tuple[fonts.Fallback, str]]:
    return fonts.fallbacks_for(characters(doc))


def assets_for(doc: SspDocument) -> dict[str, tuple[str, bytes]]:
    """What the document's HTML links to besides our static files: its figures, and its font stylesheet."""
    figures = [b for s in doc.sections for b in s.blocks if isinstance(b, Figure)]
    assets = {f.name: (f.content_type, f.data) for f in figures}
    if fallbacks := font_fallbacks(doc):
        assets[FONTS_ASSET] = ("text/css", fonts.stylesheet(fallbacks, STATIC_BASE).encode())
    return assets


POAM_TITLE = "Plan of Action and Milestones"


def render_html(doc: SspDocument, *, poam_only: bool = False) -> str:
    """The print HTML; ``poam_only``: the POA&M alone (its title page and Appendix A), on landscape pages."""
    header = doc.header_text
    if poam_only:
        header = f"{doc.display_name.upper()} {POAM_TITLE.upper()} — Last updated {doc.date_text}"
    return render_to_string("ssp/print.html", {
        "doc": doc, "static_base": STATIC_BASE, "asset_base": ASSET_BASE, "poam_only": poam_only,
        "title": POAM_TITLE if poam_only else doc.title, "header_text": header,
        "fonts_css": ASSET_BASE + FONTS_ASSET if font_fallbacks(doc) else "",
        "sections": [doc.poam_section] if poam_only else doc.sections,
    })


def html_to_pdf(html: str, *, assets: Mapping[str, tuple[str, bytes]] | None = None,
                fetcher: LocalOnlyFetcher | None = None, **options) -> bytes:
    """Any HTML to PDF with the local-only fetcher (``options`` go to WeasyPrint's write_pdf)."""
    fetcher = fetcher or LocalOnlyFetcher(assets)
    return HTML(string=html, base_url=f"{ORIGIN}/", url_fetcher=fetcher).write_pdf(**options)


def render(doc: SspDocument) -> bytes:
    return html_to_pdf(render_html(doc), assets=assets_for(doc))


def render_poam(doc: SspDocument) -> bytes:
    """The POA&M alone, as the DOCX has it (render_docx.render_poam)."""
    return html_to_pdf(render_html(doc, poam_only=True), assets=assets_for(doc))
