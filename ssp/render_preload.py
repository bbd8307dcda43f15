"""Imported once by the render fork server (registered in ssp/apps.py): every render process is forked with the
PDF's font coverage already read (ssp/fonts.py), instead of reading the fonts' character maps for each render.

The fork server must never fail: anything that goes wrong here is left for the render itself to meet.
"""

try:
    from cmmc_site.render_child import ensure_django

    ensure_django()
    from ssp import fonts

    fonts.base_coverage()
    fonts.fallback_coverage()
except Exception:  # nosec B110 - never break the fork server; a render reads the coverage itself if this failed
    pass
