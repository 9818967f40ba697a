"""A TCP relay in front of a real PostgreSQL or Redis that a test can cut and restore, to see
what the service does when a dependency goes away and comes back."""

from __future__ import annotations

import asyncio
import contextlib

from devkit.ports import free_port


class CuttableRelay:
    def __init__(self, target_port: int, host: str = "127.0.0.1") -> None:
        self.host, self.target_port = host, target_port
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._streams: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)

    async def cut(self) -> None:
        """Stop listening and drop every open connection, as a crashed server would."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._streams):
            writer.transport.abort()
        self._streams.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._streams.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._streams.difference_update((writer, up_writer))
