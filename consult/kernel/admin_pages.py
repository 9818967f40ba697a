"""The admin's HTML pages: Jinja2 templates in static/admin that extend one layout
(`_layout.html`: the head, the top navigation, the notice views), so a new page or link is
written once. A page never depends on the request, so each is rendered once per process."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape


@cache
def _environment(folder: Path) -> Environment:
    # The templates are read once (auto_reload off) and kept in the environment's cache.
    return Environment(
        loader=FileSystemLoader(folder),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )


@cache
def render(page: Path) -> bytes:
    """The page at static/admin/<name>.html as UTF-8 HTML."""
    return _environment(page.parent).get_template(page.name).render().encode()
