"""CORS the way an HTTP API with a `CorsConfiguration` does it.

Why here and not in the handlers: a configured HTTP API answers preflight requests itself (they
never reach a function), adds the CORS headers to every response for an allowed origin, and
ignores CORS headers a function returns. The toolkit front end only works deployed if it works
against these rules, so the local gateway applies the same ones.
"""

from __future__ import annotations

from gateway.events import IncomingRequest
from gateway.responses import HttpResponse
from gateway.template import Cors


def is_preflight(request: IncomingRequest) -> bool:
    """An `OPTIONS` request with `Origin` and `Access-Control-Request-Method`, as browsers send."""
    return (
        request.method == "OPTIONS"
        and request.header("origin") is not None
        and request.header("access-control-request-method") is not None
    )


def allowed_origin(cors: Cors, origin: str | None) -> str | None:
    """The `Access-Control-Allow-Origin` value for `origin`, or None when it is not allowed."""
    if origin is None:
        return None
    if origin in cors.allow_origins:
        return origin
    if "*" in cors.allow_origins:
        return "*"
    return None


def preflight(cors: Cors, request: IncomingRequest) -> HttpResponse:
    """204 with the configured `Access-Control-Allow-*` headers for an allowed origin; 204 with
    none of them otherwise (the browser then refuses the actual request). Which methods and
    headers the browser asked for is not checked: the browser compares them to the lists."""
    allow = allowed_origin(cors, request.header("origin"))
    if allow is None:
        return HttpResponse(204)
    headers = [("access-control-allow-origin", allow)]
    if cors.allow_credentials:
        headers.append(("access-control-allow-credentials", "true"))
    if cors.allow_methods:
        headers.append(("access-control-allow-methods", ",".join(cors.allow_methods)))
    if cors.allow_headers:
        headers.append(("access-control-allow-headers", ",".join(h.lower() for h in cors.allow_headers)))
    if cors.max_age is not None:
        headers.append(("access-control-max-age", str(cors.max_age)))
    headers.append(("vary", "Origin"))
    return HttpResponse(204, headers)


def decorate(cors: Cors, request: IncomingRequest, response: HttpResponse) -> None:
    """Replace the function's own CORS headers with the API's, for an allowed origin only."""
    response.drop_headers(lambda name: name.startswith("access-control-"))
    allow = allowed_origin(cors, request.header("origin"))
    if allow is None:
        return
    response.headers.append(("access-control-allow-origin", allow))
    if cors.allow_credentials:
        response.headers.append(("access-control-allow-credentials", "true"))
    if cors.expose_headers:
        response.headers.append(("access-control-expose-headers", ",".join(cors.expose_headers)))
    vary = response.header("vary")
    if vary is None:
        response.headers.append(("vary", "Origin"))
    elif "origin" not in [v.strip().lower() for v in vary.split(",")]:
        response.drop_headers(lambda name: name == "vary")
        response.headers.append(("vary", f"{vary}, Origin"))
