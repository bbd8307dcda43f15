"""Imported once by the render fork server (registered in ssp/apps.py): every render process is forked with the
renderers imported, the print template compiled and the PDF's font coverage read (ssp/fonts.py), instead of doing
that in each render (about 0.3 s for the DOCX library, 0.4 s for the fonts' character maps).

The fork server must never fail: anything that goes wrong here is left for the render itself to meet.
"""

try:
    from cmmc_site.render_child import ensure_django

    ensure_django()
    from django.template.loader import get_template

    from ssp import fonts, render_docx, render_pdf  # noqa: F401  (imported for the render processes)

    get_template("ssp/print.html")
    fonts.base_coverage()
    fonts.fallback_coverage()
except Exception:  # nosec B110 - never break the fork server; a render does all this itself if it failed here
    pass
