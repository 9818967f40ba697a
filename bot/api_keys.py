"""API keys for shops: shown once when created, kept only as SHA-256; named, listed with their
last use, and revoked."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from prilavok.consult.kernel import audit
from prilavok.consult.kernel.deps import Deps
from prilavok.consult.kernel.errors import ConsultError, not_found
from prilavok.storage.models import ApiKey, utcnow

# Last use is written at most this often per key: a busy 1C exchange must not write on every call.
LAST_USED_STEP = timedelta(minutes=1)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create(deps: Deps, shop_id: str, name: str = "", actor: str = audit.CLI) -> str:
    shop_id, name = shop_id.strip(), name.strip()
    if not shop_id or len(shop_id) > 64:
        raise ConsultError("invalid_payload", "a shop id is 1–64 characters")
    if len(name) > 100:
        raise ConsultError("too_long", "a key's name is at most 100 characters")
    key = "pk_" + secrets.token_urlsafe(32)
    async with deps.write() as session:
        row = ApiKey(shop_id=shop_id, key_hash=_digest(key), name=name, prefix=key[:10])
        session.add(row)
        await session.flush()
        audit.record(session, actor, "api_key.create", f"api_key:{row.id}", f"{shop_id} {name}")
    return key


def as_dict(row: ApiKey) -> dict[str, Any]:
    return {
        "id": row.id,
        "shop_id": row.shop_id,
        "name": row.name,
        "prefix": row.prefix,
        "created_at": row.created_at.isoformat(),
        "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None,
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
    }


async def listing(deps: Deps, shop_id: str | None = None) -> list[dict[str, Any]]:
    query = select(ApiKey).order_by(ApiKey.id)
    if shop_id:
        query = query.where(ApiKey.shop_id == shop_id)
    async with deps.sessions() as session:
        return [as_dict(k) for k in await session.scalars(query)]


async def revoke(deps: Deps, key_id: int, actor: str = audit.CLI) -> dict[str, Any]:
    async with deps.write() as session:
        row = await session.get(ApiKey, key_id)
        if row is None:
            raise not_found("API key")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            audit.record(session, actor, "api_key.revoke", f"api_key:{row.id}", row.shop_id)
        return as_dict(row)


async def shop_for(deps: Deps, key: str | None) -> str:
    """The shop a live key belongs to, or 401."""
    if key:
        async with deps.sessions() as session:
            row = await session.scalar(select(ApiKey).where(ApiKey.key_hash == _digest(key)))
            found = row is not None and row.revoked_at is None
            stale = found and (
                row.last_used_at is None or utcnow() - row.last_used_at > LAST_USED_STEP
            )
        if found:
            if stale:
                async with deps.write() as session:
                    fresh = await session.get(ApiKey, row.id)
                    if fresh is not None:
                        fresh.last_used_at = utcnow()
            return row.shop_id
    raise ConsultError("unauthorized", "a valid API key is needed (Authorization: Bearer …)", 401)
