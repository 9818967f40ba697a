"""Signed tokens: the visitor's identity in localStorage and the operator's session cookie."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer


class Signer:
    def __init__(self, secret_key: str) -> None:
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
