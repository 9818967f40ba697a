"""/widget.js: the one bundled file a shop embeds, or a clear 503 when it was not built."""

import gzip
from pathlib import Path

import aiohttp

from tests.conftest import Server
from tests.conftest import test_settings as settings_for

BUNDLE = Path(__file__).resolve().parents[2] / "static" / "widget" / "dist" / "widget.js"


async def test_the_bundle_is_served_with_the_socket_client_inside(sqlite_server: Server) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"{sqlite_server.url}/widget.js") as r:
        assert r.status == 200
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        body = await r.read()
    assert body == BUNDLE.read_bytes()
    text = body.decode()
    assert "/vendor/" not in text  # one request: no second script is imported
    assert "/visitor" in text and "EIO" in text  # the namespace and the engine.io client
    # No larger than the unbundled widget.js + socket.io.esm.min.js were (23,035 + 12,888 B gz).
    assert len(gzip.compress(body, 9)) <= 35_923


async def test_a_missing_bundle_is_a_clear_503(sqlite_url: str, tmp_path: Path) -> None:
    static = tmp_path / "static"
    (static / "shop").mkdir(parents=True)
    srv = Server(settings_for(sqlite_url, tmp_path, static_dir=static))
    await srv.start()
    try:
        async with aiohttp.ClientSession() as http, http.get(f"{srv.url}/widget.js") as r:
            assert r.status == 503
            assert "npm run build" in await r.text()
    finally:
        await srv.stop()
