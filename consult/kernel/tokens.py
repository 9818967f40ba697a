"""Signed tokens: the visitor's identity in localStorage; the console's CSRF token."""

from __future__ import annotations

import hashlib
import hmac

from itsdangerous import BadSignature, URLSafeSerializer


class Signer:
    def __init__(self, secret_key: str) -> None:
        self._csrf_key = hashlib.sha256(b"prilavok.csrf:" + secret_key.encode()).digest()
        self._visitor = URLSafeSerializer(secret_key, salt="prilavok.visitor")

    def visitor_token(self, visitor_id: int) -> str:
        return self._visitor.dumps({"v": visitor_id})

    def visitor_id(self, token: object) -> int | None:
        """The visitor a token names, or None when it is missing, forged or malformed."""
        if not isinstance(token, str) or not token or len(token) > 512:
            return None
        try:
            data = self._visitor.loads(token)
        except BadSignature:
            return None
        vid = data.get("v") if isinstance(data, dict) else None
        return vid if isinstance(vid, int) else None

    def csrf_token(self, operator_cookie: str) -> str:
        """Bound to one operator session: a page must have read it from /console/api/me."""
        return hmac.new(self._csrf_key, operator_cookie.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, operator_cookie: str, token: object) -> bool:
        return isinstance(token, str) and hmac.compare_digest(
            self.csrf_token(operator_cookie), token
        )
