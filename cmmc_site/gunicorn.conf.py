"""gunicorn settings for `make serve`, the Dockerfile and the bench: everything from the environment.

    gunicorn -c cmmc_site/gunicorn.conf.py cmmc_site.wsgi

Threaded workers (gthread): while one thread waits on a document render (which runs in its own process, see
cmmc_site/render_guard.py), the worker's other threads keep serving pages.
"""

import gc
import os

bind = [os.environ.get("BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}")]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = int(os.environ.get("WEB_TIMEOUT", "90"))  # above RENDER_TIMEOUT, so a slow render is ours to stop
graceful_timeout = 30
keepalive = 5
# WEB_REUSE_PORT=true: each worker listens on its own SO_REUSEPORT socket and the kernel spreads new connections over
# them. With one shared socket, a few long-lived connections opened at once (a proxy's keep-alive pool, a load
# generator) can all land on one worker while the other idles: the bench measured 1,100 req/s against 2,800 that
# way. Off by default: a worker that stops (WEB_MAX_REQUESTS recycling) drops the connections still queued on its
# own socket, unless the kernel migrates them (net.ipv4.tcp_migrate_req=1).
reuse_port = os.environ.get("WEB_REUSE_PORT", "false").strip().lower() in {"1", "true", "yes", "on"}
# Recycle workers now and then so no slow leak can grow without bound.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10

# REMOTE_ADDR is the TCP peer (our rate limits key on it), or the client address a PROXY-protocol proxy sends:
# PROXY_PROTOCOL=v1|v2|auto together with PROXY_ALLOW_FROM=<the proxy's addresses>. X-Forwarded-For is never used.
proxy_protocol = os.environ.get("PROXY_PROTOCOL", "off")
proxy_allow_ips = os.environ.get("PROXY_ALLOW_FROM", "127.0.0.1,::1")
# Whose X-Forwarded-Proto is believed for wsgi.url_scheme (Django's SECURE_PROXY_SSL_HEADER does the same check
# in the app); gunicorn reads FORWARDED_ALLOW_IPS from the environment itself, default 127.0.0.1,::1.

# No runtime control socket: several servers may run from one account (tests, bench) and none needs it.
control_socket_disable = True

# The app logs one JSON line per request (cmmc_site/request_logging.py); gunicorn's own messages use the same
# format, and its access log (which would print query strings) stays off.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": "INFO", "handlers": ["json"]},
    "loggers": {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["json"], "propagate": False,
                           "qualname": "gunicorn.error"},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False, "qualname": "gunicorn.access"},
    },
    "handlers": {"json": {"class": "cmmc_site.request_logging.StdoutHandler", "formatter": "json"}},
    "formatters": {"json": {"()": "cmmc_site.request_logging.JsonFormatter"}},
}


def post_worker_init(worker) -> None:
    # Start this worker's render fork server now (it imports Django and WeasyPrint in the background),
    # so the first document request does not wait for it.
    from cmmc_site.render_guard import warm_up

    warm_up()
    # Import the URLconf and with it every view now: otherwise the worker's first routed request does, and waits.
    import importlib

    from django.conf import settings

    importlib.import_module(settings.ROOT_URLCONF)
    # What is loaded now lives as long as the worker: the collector need not scan it again and again (a page
    # allocates enough to start a collection every request or two; each full one scanned all of it), and runs less
    # often. Measured in docs/performance.md.
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
