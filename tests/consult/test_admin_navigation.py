"""The admin pages as the server renders them from one layout (static/admin/_layout.html): every
page carries every top-navigation link once, marks its own as the current one, keeps to the
Content-Security-Policy (no inline scripts), and is served only behind the log-in guard."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import aiohttp

from prilavok.headers import STAFF_CSP
from tests.clients import add_operator, login
from tests.conftest import Server

ADMIN = Path(__file__).resolve().parents[2] / "static" / "admin"
# Address, template, the test id of its navigation link, its script.
PAGES = (
    ("/admin", "index.html", "admin-link-settings", "admin.js"),
    ("/admin/stats", "stats.html", "admin-link-stats", "stats.js"),
    ("/admin/offers", "offers.html", "admin-link-offers", "offers.js"),
    ("/admin/journeys", "journeys.html", "admin-link-journeys", "journeys.js"),
    ("/admin/calendar", "calendar.html", "admin-link-calendar", "calendar.js"),
    ("/admin/keys", "keys.html", "admin-link-keys", "keys.js"),
    ("/admin/audit", "audit.html", "admin-link-audit", "audit.js"),
)
LINKS = sorted([(p[0], p[2]) for p in PAGES] + [("/console", "admin-link-console")])


class Page(HTMLParser):
    """The links of the top navigation (href, test id, aria-current) and the page's scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.in_nav = False
        self.links: list[tuple[str, str, str | None]] = []
        self.scripts: list[str | None] = []
        self.views: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "nav" and "topnav" in (a.get("class") or "").split():
            self.in_nav = True
        elif tag == "a" and self.in_nav:
            self.links.append((a["href"] or "", a["data-testid"] or "", a.get("aria-current")))
        elif tag == "script":
            self.scripts.append(a.get("src"))
        if "data-view-name" in a:
            self.views.append(a["data-view-name"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self.in_nav = False

    def handle_data(self, data: str) -> None:
        # An inline script would have text between <script> and </script>.
        if self.lasttag == "script" and data.strip():
            self.scripts.append(None)


def test_every_admin_template_is_a_served_page() -> None:
    """A new page in static/admin must be added to PAGES (and so to this test)."""
    templates = {p.name for p in ADMIN.glob("*.html")} - {"login.html", "_layout.html"}
    assert templates == {p[1] for p in PAGES}


async def test_every_page_has_the_whole_navigation_once(sqlite_server: Server) -> None:
    await add_operator(sqlite_server.deps, "boss", role="admin")
    cookie = await login(sqlite_server.url, "boss")
    async with aiohttp.ClientSession(cookies={"prilavok_op": cookie}) as http:
        for path, _, own, script in PAGES:
            async with http.get(f"{sqlite_server.url}{path}", allow_redirects=False) as r:
                assert (r.status, r.content_type) == (200, "text/html"), path
                assert r.headers["Content-Security-Policy"] == STAFF_CSP
                page = Page()
                page.feed(await r.text())
            assert sorted((href, testid) for href, testid, _ in page.links) == LINKS, path
            current = [testid for _, testid, cur in page.links if cur is not None]
            assert current == [own], path
            assert [c for _, t, c in page.links if t == own] == ["page"], path
            # One module script of the page's own (the CSP allows no inline ones), and the
            # notice views requireAdmin switches between, then the page's own app view.
            assert page.scripts == [f"/static/admin/{script}"], path
            assert page.views == ["loading", "denied", "error", "app"], path


async def test_pages_need_a_session_and_tell_an_operator_they_are_for_admins(
    sqlite_server: Server,
) -> None:
    await add_operator(sqlite_server.deps, "anna")
    async with aiohttp.ClientSession() as http:
        for path, *_ in PAGES:
            async with http.get(f"{sqlite_server.url}{path}", allow_redirects=False) as r:
                assert r.status == 302, path
                assert r.headers["Location"] == f"/admin/login?next={path}"
    # Logged in but not an admin: the page itself, whose script shows the "admins only" notice.
    cookie = await login(sqlite_server.url, "anna")
    async with aiohttp.ClientSession(cookies={"prilavok_op": cookie}) as http:
        for path, *_ in PAGES:
            async with http.get(f"{sqlite_server.url}{path}", allow_redirects=False) as r:
                assert r.status == 200, path
                assert 'data-testid="admin-denied"' in await r.text(), path
