"""Every admin page links every other: the navigation is written into each page, so a new page
must be added to all of them (this test names the ones that miss it)."""

import re
from pathlib import Path

ADMIN = Path(__file__).resolve().parents[2] / "static" / "admin"


def test_every_admin_page_has_the_same_navigation() -> None:
    links = {
        page.name: re.findall(r'data-testid="(admin-link-[a-z]+)"', page.read_text())
        for page in sorted(ADMIN.glob("*.html"))
        if page.name != "login.html"
    }
    expected = links["index.html"]
    assert len(expected) >= 7
    assert {name: found for name, found in links.items() if found != expected} == {}
