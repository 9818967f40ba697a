"""Packaging that keeps the top-level folders yet installs them inside one `prilavok` package.

`bot/`, `widget/`, `consult/`, `channels/` and `storage/` are reached as `prilavok.bot` and so on
through symbolic links in `prilavok/` (so import-linter and editors see one real package), and the
wheel carries them there: an installed Prilavok never shadows another distribution's `channels`
(Django Channels) or `bot`. `static/` (with the built widget bundle and the browser libraries
copied out of node_modules) becomes package data under `prilavok/static`.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
FOLDERS = ("bot", "widget", "consult", "channels", "storage")
# What `npm run build` makes and the server serves; the wheel must carry them.
BUILT = ("static/widget/dist/widget.js", "static/vendor/socket.io.esm.min.js")


def packages() -> list[str]:
    names = ["prilavok", "prilavok.static"]
    for folder in FOLDERS:
        for init in sorted((ROOT / folder).rglob("__init__.py")):
            names.append(".".join(("prilavok", *init.parent.relative_to(ROOT).parts)))
    return names


class BuildWithAssets(build_py):
    """Builds the web assets with npm first when they are missing (Node is needed only here)."""

    def run(self) -> None:
        if not all((ROOT / path).is_file() for path in BUILT):
            npm = shutil.which("npm")
            if npm is None:
                raise SystemExit("building Prilavok needs Node.js and npm for the web assets")
            if not (ROOT / "node_modules").is_dir():
                subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=ROOT, check=True)
            subprocess.run([npm, "run", "build"], cwd=ROOT, check=True)
        super().run()


setup(
    package_dir={"prilavok.static": "static"},
    packages=packages(),
    package_data={
        "prilavok.static": ["**/*"],
        "prilavok.storage": ["migrations/*.py", "migrations/versions/*.py", "migrations/*.mako"],
        "prilavok.bot": ["html/*.html", "html/*.js"],
    },
    exclude_package_data={"prilavok.static": ["widget/src/**"]},
    cmdclass={"build_py": BuildWithAssets},
)
