"""``/csp-report/``: browsers report what our Content-Security-Policy blocked, and we log it.

A violation on our own pages means either a bug (something we serve breaks the policy) or markup that got in
where it should not (an injection attempt the policy stopped). Either way operators want to know, so each report
becomes one ``security`` log line: the directive, the blocked resource reduced to its origin (or "inline"/"eval"),
and the page's path. Never the query string, the sample of blocked code or anything else the browser sends.

Reports are sent by the browser without cookies or a CSRF token, so the middleware answers them near the top of
MIDDLEWARE, before sessions and the CSRF check, and touches neither. Bodies are capped and reports are rate
limited per address, so the endpoint cannot be used to flood the log.
"""

import json
from collections.abc import Callable
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse

from . import ratelimit, security_log

PATH = "/csp-report/"
MAX_BODY = 16 * 1024
LIMIT = (30, 60)  # reports logged per address per minute; the rest are dropped quietly
CONTENT_TYPES = {"application/csp-report", "application/reports+json", "application/json"}
KEYWORDS = {"inline", "eval", "wasm-eval", "data", "blob", "self", "trusted-types-policy", "trusted-types-sink"}


def origin_only(value: object) -> str:
    text = str(value or "").strip()[:500]
    if text in KEYWORDS or text.rstrip(":") in KEYWORDS:
        return text.rstrip(":")
    parts = urlsplit(text)
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return parts.scheme or "-"


def path_only(value: object) -> str:
    return urlsplit(str(value or "")[:2000]).path[:200] or "-"


def violations(payload: object) -> list[dict[str, str]]:
    """The reports in either format (report-uri's ``{"csp-report": {...}}`` or the Reporting API's list)."""
    bodies: list[dict] = []
    if isinstance(payload, dict) and isinstance(payload.get("csp-report"), dict):
        bodies.append(payload["csp-report"])
    elif isinstance(payload, list):
        bodies.extend(item["body"] for item in payload[:10]
                      if isinstance(item, dict) and item.get("type") == "csp-violation"
                      and isinstance(item.get("body"), dict))
    found = []
    for body in bodies:
        directive = body.get("effective-directive") or body.get("effectiveDirective") or body.get(
            "violated-directive") or "-"
        found.append({
            "directive": str(directive).split(" ")[0][:60],
            "blocked": origin_only(body.get("blocked-uri") or body.get("blockedURL")),
            "page": path_only(body.get("document-uri") or body.get("documentURL")),
        })
    return found


def csp_report(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "POST"})
    content_type = request.content_type or ""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    if content_type not in CONTENT_TYPES:
        return HttpResponse(status=415)
    if not 0 < length <= MAX_BODY:
        return HttpResponse(status=413 if length > MAX_BODY else 400)
    try:
        payload = json.loads(request.read(MAX_BODY))
    except (ValueError, UnicodeDecodeError):
        return HttpResponse(status=400)
    found = violations(payload)
    if found and ratelimit.hit("csp-report", ratelimit.client_ip(request), limit=LIMIT[0], window=LIMIT[1]):
        for violation in found:
            security_log.event(request, "csp_violation", "blocked", **violation)
    return HttpResponse(status=204)


class CspReportMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == PATH:
            return csp_report(request)
        return self.get_response(request)
