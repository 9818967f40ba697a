"""The client's address: the peer, or what trusted reverse proxies say in X-Forwarded-For.

A header anybody can send is believed only from a listed proxy; each proxy appends the address
it saw, so the list is read from the right, past the trusted hops, to the first other one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from aiohttp import web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str]) -> list[Network]:
    """'10.0.0.1', '10.0.0.0/8', '::1' → networks; ValueError on anything else."""
    return [ipaddress.ip_network(e.strip(), strict=False) for e in entries if e.strip()]


class ClientAddresses:
    def __init__(self, trusted_proxies: Iterable[str] = ()) -> None:
        self.trusted = parse_networks(trusted_proxies)

    def _is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self.trusted)

    def resolve(self, peer: str | None, forwarded_for: str | None) -> str:
        address = peer or "unknown"
        if not forwarded_for or not self._is_trusted(address):
            return address
        for hop in reversed(forwarded_for.split(",")):
            try:
                hop = str(ipaddress.ip_address(hop.strip()))
            except ValueError:
                return address  # a garbled hop: the last one a trusted proxy vouched for
            address = hop
            if not self._is_trusted(hop):
                break
        return address

    def of_request(self, request: web.Request) -> str:
        # Several X-Forwarded-For headers read as one list, in order.
        forwarded = ",".join(request.headers.getall("X-Forwarded-For", []))
        return self.resolve(request.remote, forwarded)

    def of_environ(self, environ: dict[str, Any]) -> str:
        """For Socket.IO: engine.io's environ names no peer of its own (REMOTE_ADDR is fixed)."""
        request = environ.get("aiohttp.request")
        if isinstance(request, web.Request):
            return self.of_request(request)
        return self.resolve(environ.get("REMOTE_ADDR"), environ.get("HTTP_X_FORWARDED_FOR"))
