"""HTTP routes of the widget: the bundled script, the browser libraries, the sample shop."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from prilavok.consult.kernel import http_input

CORS = {"Access-Control-Allow-Origin": "*", "Cache-Control": "no-cache"}
# Browser libraries served under /vendor/: `npm run build` copies them out of node_modules into
# static/vendor/, so an installed server needs no node_modules.
VENDOR_FILES = ("socket.io.esm.min.js", "socket.io.min.js", "chart.umd.js")


def setup(app: web.Application, static_dir: Path) -> None:
    bundle = static_dir / "widget" / "dist" / "widget.js"

    async def widget_js(request: web.Request) -> web.StreamResponse:
        # Built by `npm run build` (scripts/setup.sh runs it); missing: a setup step was skipped.
        if not bundle.is_file():
            raise web.HTTPServiceUnavailable(
                text="widget.js is not built: run `npm run build` (scripts/setup.sh does)",
                headers=CORS,
            )
        return web.FileResponse(bundle, headers=CORS)

    async def vendor(request: web.Request) -> web.FileResponse:
        name = request.match_info["name"]
        if name not in VENDOR_FILES:
            raise web.HTTPNotFound()
        return web.FileResponse(
            static_dir / "vendor" / name, headers={**CORS, "Cache-Control": "max-age=3600"}
        )

    async def shop_index(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/shop/index.html")

    app.router.add_get("/widget.js", widget_js)
    app.router.add_get("/vendor/{name}", vendor)
    app.router.add_get("/shop", shop_index)
    app.router.add_get("/shop/", shop_index)
    http_input.add_static(app.router, "/shop/", static_dir / "shop")
