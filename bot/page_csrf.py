"""CSRF protection for the personal page's forms and its read beacon: a signed double submit.

The page sets a random cookie (SameSite=Strict, HttpOnly, path /m/) and puts into each form
HMAC(secret, cookie + code). A POST counts only with both, and they must agree: another site
can make a browser post, but cannot read or set our cookie, and without the secret a cookie
planted some other way is useless.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from aiohttp import web

COOKIE = "prilavok_m"
FIELD = "csrf"
_COOKIE_CHARS = 43  # token_urlsafe(32)


def _sign(secret: str, nonce: str, code: str) -> str:
    return hmac.new(secret.encode(), f"{nonce}:{code}".encode(), hashlib.sha256).hexdigest()


def issue(request: web.Request, secret: str, code: str) -> tuple[str, str | None]:
    """The form token for this browser and page, and a new cookie value to set when the
    browser has none yet."""
    nonce = request.cookies.get(COOKIE, "")
    new = None
    if len(nonce) != _COOKIE_CHARS:
        nonce = new = secrets.token_urlsafe(32)
    return _sign(secret, nonce, code), new


def remember(request: web.Request, response: web.StreamResponse, nonce: str) -> None:
    response.set_cookie(
        COOKIE,
        nonce,
        path="/m/",
        httponly=True,
        samesite="Strict",
        secure=request.secure,
        max_age=180 * 24 * 3600,
    )


def valid(request: web.Request, secret: str, code: str, given: str | None) -> bool:
    nonce = request.cookies.get(COOKIE, "")
    if len(nonce) != _COOKIE_CHARS or not given:
        return False
    return hmac.compare_digest(_sign(secret, nonce, code), given)
