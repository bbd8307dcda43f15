from django.apps import AppConfig
from django.contrib.staticfiles.apps import StaticFilesConfig


class SiteConfig(AppConfig):
    """The site layer as an app, for its one model: the rate-limit counters (models.py, ratelimit.py)."""

    name = "cmmc_site"
    verbose_name = "Site"


class SiteStaticFilesConfig(StaticFilesConfig):
    """collectstatic skips the Bootstrap builds no page uses (RTL, ESM, partial and unminified builds).

    Compressing them for WhiteNoise (gzip + brotli) took minutes; pages use only ``bootstrap.min.css`` and
    ``bootstrap.bundle.min.js`` and their source maps.
    """

    ignore_patterns = [
        *StaticFilesConfig.ignore_patterns,
        "bootstrap-grid*", "bootstrap-reboot*", "bootstrap-utilities*", "bootstrap.rtl*", "bootstrap.esm*",
        "bootstrap.css", "bootstrap.css.map", "bootstrap.js", "bootstrap.js.map", "bootstrap.min.js",
        "bootstrap.min.js.map", "bootstrap.bundle.js", "bootstrap.bundle.js.map",
    ]
