"""The HTTP session an HTTP-speaking transport keeps: opened and closed with the app."""

from __future__ import annotations

import aiohttp


class HttpTransport:
    def __init__(self, api_base: str, timeout: float) -> None:
        self.api_base = api_base.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._http: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        self._http = aiohttp.ClientSession(timeout=self.timeout)

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            raise RuntimeError(f"{type(self).__name__}.open() was not called")
        return self._http
