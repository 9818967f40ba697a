"""API keys for shops: shown once when created, kept only as SHA-256."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from consult.deps import Deps
from consult.errors import ConsultError
from storage.models import ApiKey


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create(deps: Deps, shop_id: str) -> str:
    shop_id = shop_id.strip()
    if not shop_id or len(shop_id) > 64:
        raise ConsultError("invalid_payload", "a shop id is 1–64 characters")
    key = "pk_" + secrets.token_urlsafe(32)
    async with deps.write() as session:
        session.add(ApiKey(shop_id=shop_id, key_hash=_digest(key)))
    return key


async def shop_for(deps: Deps, key: str | None) -> str:
    """The shop a key belongs to, or 401."""
    if key:
        async with deps.sessions() as session:
            shop = await session.scalar(
                select(ApiKey.shop_id).where(ApiKey.key_hash == _digest(key))
            )
            if shop is not None:
                return shop
    raise ConsultError("unauthorized", "a valid API key is needed (Authorization: Bearer …)", 401)
