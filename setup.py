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


# Folders of data files inside the Python packages. Each is named as a package of its own:
# setuptools otherwise warns that an importable folder is left out of `packages`.
DATA_FOLDERS = {
    "bot/html": ["*.html", "*.js"],
    "storage/migrations": ["*.py", "*.mako"],
    "storage/migrations/versions": ["*.py"],
}
STATIC_LEFT_OUT = "widget/src"  # bundled into widget/dist; the wheel carries the bundle only


def _name(folder: Path) -> str:
    return ".".join(("prilavok", *folder.relative_to(ROOT).parts))


def _static_folders() -> list[Path]:
    """static/ and its folders, with those the build fills: in a clean checkout they are made
    empty here, as setuptools wants a listed package's folder to exist before the build runs."""
    static = ROOT / "static"
    for path in BUILT:
        (ROOT / path).parent.mkdir(parents=True, exist_ok=True)
    found = {d for d in static.rglob("*") if d.is_dir()}
    left_out = static / STATIC_LEFT_OUT
    return [static, *sorted(d for d in found if d != left_out and left_out not in d.parents)]


def packages() -> list[str]:
    names = ["prilavok"]
    for folder in FOLDERS:
        for init in sorted((ROOT / folder).rglob("__init__.py")):
            names.append(_name(init.parent))
    names += [_name(ROOT / folder) for folder in DATA_FOLDERS]
    return names + [_name(d) for d in _static_folders()]


def package_data() -> dict[str, list[str]]:
    data = {_name(ROOT / folder): patterns for folder, patterns in DATA_FOLDERS.items()}
    return data | {_name(d): ["*"] for d in _static_folders()}


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
    package_data=package_data(),
    cmdclass={"build_py": BuildWithAssets},
)
