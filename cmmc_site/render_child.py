"""Imported by the render fork server (see render_guard): render processes start with Django and WeasyPrint loaded.

The fork server ignores an ImportError here, and a render process sets Django up itself if this failed.
"""

import os


def ensure_django() -> None:
    from django.apps import apps

    if not apps.ready:
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cmmc_site.settings")
        django.setup()


try:
    ensure_django()
    import weasyprint  # noqa: F401  (the slow import, once per fork server instead of once per render)
except Exception:  # nosec B110 - never break the fork server; render processes retry on their own
    pass
