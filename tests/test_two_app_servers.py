"""Two gunicorn app servers on one PostgreSQL behave as one: sessions and rate limits live in the database.

Starts `gunicorn -c cmmc_site/gunicorn.conf.py` twice, as `make serve` does, on free loopback ports against the
test database. Runs on PostgreSQL only (the production setup; the SQLite test database is in memory).
"""

import http.client
import os
import re
import socket
import time
from collections.abc import Iterator
from http.cookies import SimpleCookie
from urllib.parse import quote, urlencode

import pytest
from django.core.cache import cache
from django.db import connection

from assessments.views import RESUME_LIMIT

from .server_helpers import free_port, start_gunicorn, stop

pytestmark = pytest.mark.slow


class Browser:
    """One client: its cookies go to whichever server it talks to, like behind a load balancer."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(self, port: int, method: str, path: str, form: dict | None = None, *,
                proxy_client: str | None = None, headers: dict | None = None) -> tuple[int, dict, str]:
        body = urlencode(form).encode() if form is not None else b""
        head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close",
                f"Content-Length: {len(body)}"]
        if form is not None:
            head.append("Content-Type: application/x-www-form-urlencoded")
        if self.cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        data = ("\r\n".join(head) + "\r\n\r\n").encode() + body
        if proxy_client:  # what HAProxy's `send-proxy` (PROXY protocol v1) puts before the request
            data = f"PROXY TCP4 {proxy_client} 127.0.0.1 40000 {port}\r\n".encode() + data
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            sock.sendall(data)
            response = http.client.HTTPResponse(sock)
            response.begin()
            content = response.read().decode()
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return response.status, dict(response.headers), content

    def csrf_token(self, port: int, path: str) -> str:
        status, _, html = self.request(port, "GET", path)
        assert status == 200, html[:500]
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def url_of_the_test_database() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "postgres") + (f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def app_servers(catalog_db, tmp_path) -> Iterator[tuple[int, int]]:
    if connection.vendor != "postgresql":
        pytest.skip("several app servers need PostgreSQL: run with DATABASE_URL=postgres://...")
    ports = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url_of_the_test_database(),
        "SECRET_KEY": "two-app-servers-share-this-secret-key-0123456789abcdefghij",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SETTINGS_MODULE": "cmmc_site.settings",
        "WEB_CONCURRENCY": "1",
        "WEB_THREADS": "2",
        "LOG_LEVEL": "WARNING",
        # Server B also accepts the PROXY protocol from loopback, as behind HAProxy (README, Deploying).
    }
    processes, logs = [], []
    for index, port in enumerate(ports):
        log = tmp_path / f"server-{index}.log"
        logs.append(log)
        server_env = env | {"BIND": f"127.0.0.1:{port}"}
        if index == 1:
            server_env |= {"PROXY_PROTOCOL": "auto", "PROXY_ALLOW_FROM": "127.0.0.1"}
        processes.append(start_gunicorn(server_env, log))
    try:
        for port, process, log in zip(ports, processes, logs, strict=True):
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, f"gunicorn exited:\n{log.read_text()[-3000:]}"
                try:
                    if Browser().request(port, "GET", "/healthz")[0] == 200:
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, f"gunicorn did not become healthy:\n{log.read_text()[-3000:]}"
                time.sleep(0.2)
        yield ports
    finally:
        stop(processes)


def test_an_assessment_started_on_one_server_opens_on_the_other_with_the_same_cookie(app_servers):
    a, b = app_servers
    owner = Browser()
    token = owner.csrf_token(a, "/a/start/")
    status, headers, _ = owner.request(a, "POST", "/a/start/", {
        "csrfmiddlewaretoken": token, "organization_name": "Two Servers Inc", "target_level": "l2",
        "scope": "enterprise", "has_ssp": "yes",
    })
    assert status == 302, headers
    public_id = re.match(r"/a/([^/]+)/", headers["Location"]).group(1)
    assert "sessionid" in owner.cookies

    status, _, html = owner.request(b, "GET", f"/a/{public_id}/")
    assert status == 200
    assert "Two Servers Inc" in html
    assert Browser().request(b, "GET", f"/a/{public_id}/")[0] == 404  # no cookie, no access, on either server
    assert Browser().request(a, "GET", f"/a/{public_id}/")[0] == 404


def test_resume_attempts_split_across_both_servers_hit_the_limit_at_the_eleventh(app_servers):
    a, b = app_servers
    limit, window = RESUME_LIMIT
    cache.clear()
    if time.time() % window > window - 20:  # fixed windows: do not straddle a boundary
        time.sleep(window - time.time() % window + 0.5)
    guesser = Browser()
    token = guesser.csrf_token(a, "/a/resume/")
    wrong = {"csrfmiddlewaretoken": token, "recovery_key": "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH"}
    statuses = [guesser.request((a, b)[i % 2], "POST", "/a/resume/", wrong)[0] for i in range(limit)]
    assert statuses == [400] * limit
    assert guesser.request(a, "POST", "/a/resume/", wrong)[0] == 429
    assert guesser.request(b, "POST", "/a/resume/", wrong)[0] == 429
    # A client cannot reset its count with a forwarding header of its own ...
    spoofed = guesser.request(b, "POST", "/a/resume/", wrong, headers={"X-Forwarded-For": "198.51.100.7"})
    assert spoofed[0] == 429
    # ... but a trusted PROXY-protocol proxy passes each client's own address, which has its own count.
    assert guesser.request(b, "POST", "/a/resume/", wrong, proxy_client="203.0.113.9")[0] == 400
