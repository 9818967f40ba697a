"""Signed tokens: the visitor's identity in localStorage and the operator's session cookie."""

from __future__ import annotations

import hashlib
import hmac

from itsdangerous import BadSignature, URLSafeSerializer


class Signer:
    def __init__(self, secret_key: str) -> None:
        self._csrf_key = hashlib.sha256(b"prilavok.csrf:" + secret_key.encode()).digest()
        self._visitor = URLSafeSerializer(secret_key, salt="prilavok.visitor")
        self._operator = URLSafeSerializer(secret_key, salt="prilavok.operator")

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

    def operator_cookie(self, operator_id: int, session_version: int) -> str:
        return self._operator.dumps({"o": operator_id, "s": session_version})

    def operator_session(self, cookie: object) -> tuple[int, int] | None:
        if not isinstance(cookie, str) or not cookie or len(cookie) > 512:
            return None
        try:
            data = self._operator.loads(cookie)
        except BadSignature:
            return None
        if not isinstance(data, dict):
            return None
        oid, ver = data.get("o"), data.get("s")
        if isinstance(oid, int) and isinstance(ver, int):
            return oid, ver
        return None

    def csrf_token(self, operator_cookie: str) -> str:
        """Bound to one operator session: a page must have read it from /console/api/me."""
        return hmac.new(self._csrf_key, operator_cookie.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, operator_cookie: str, token: object) -> bool:
        return isinstance(token, str) and hmac.compare_digest(
            self.csrf_token(operator_cookie), token
        )
