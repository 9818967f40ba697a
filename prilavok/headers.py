"""Headers on every response: no versions in Server, and a Content-Security-Policy on the pages
that show operators' and customers' data (console, admin, personal offer pages)."""

from __future__ import annotations

from aiohttp import web

SERVER = "Prilavok"
# Pages served from our own files: scripts only from /static and /vendor, sockets and fetches
# back to us, no framing by any other page (clickjacking of the console and the admin).
# Inline <style> blocks (offers report, personal page) need 'unsafe-inline' for styles only.
_COMMON = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
)
STAFF_CSP = "; ".join((*_COMMON, "img-src 'self' data:", "form-action 'self'"))
# The personal page shows the shop's product photo from the shop's host, and "order" answers
# with a redirect to the shop's product page, which form-action would block.
CUSTOMER_CSP = "; ".join((*_COMMON, "img-src 'self' data: https: http:"))
STAFF_PAGES = ("/console", "/admin")
CUSTOMER_PAGES = ("/m/",)


def policy_for(path: str) -> str | None:
    if path.startswith(STAFF_PAGES):
        return STAFF_CSP
    if path.startswith(CUSTOMER_PAGES):
        return CUSTOMER_CSP
    return None


async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
    response.headers["Server"] = SERVER
    if response.content_type != "text/html":
        return
    csp = policy_for(request.path)
    if csp is not None:
        response.headers["Content-Security-Policy"] = csp
        response.headers["X-Frame-Options"] = "DENY"  # frame-ancestors for older browsers
        response.headers["X-Content-Type-Options"] = "nosniff"
        # Personal links carry their code: never hand it on to another site.
        response.headers["Referrer-Policy"] = "no-referrer"


def setup(app: web.Application) -> None:
    app.on_response_prepare.append(on_prepare)
