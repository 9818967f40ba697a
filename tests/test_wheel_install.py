"""The built wheel installs into a fresh venv beside Django Channels and serves from any folder.

The wheel is built from this checkout (`pip wheel .`, so the web assets come with it), installed
without dependencies into a new venv that sees this venv's libraries through a path file (a
clean install of every dependency from the index would only time the network), next to the real
`channels` distribution from PyPI. The server then runs from an empty folder with no checkout and
no node_modules in reach.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import venv
import zipfile
from pathlib import Path

import aiohttp
import pytest

from devkit.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
# Both tests on one pytest-xdist worker: the wheel (module scope) is built once, in this checkout.
pytestmark = pytest.mark.xdist_group("wheel")
TOP_FOLDERS = ("bot", "widget", "consult", "channels", "storage")


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    return ran(*args, cwd=cwd, env=env).stdout


def ran(
    *args: str | Path, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # Built from a copy of the checkout (the built assets included): setuptools stages files in
    # the source's build/, which another build, or a stale module there, would otherwise share.
    source = tmp_path_factory.mktemp("source") / "prilavok"
    shutil.copytree(
        ROOT,
        source,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "node_modules", "build", "data", "*.egg-info", "__pycache__"
        ),
    )
    # -v: the build backend's own warnings are part of what is checked.
    built = ran(sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w", out, source, cwd=out)
    (found,) = out.glob("prilavok-*.whl")
    (out / "build.log").write_text(built.stdout + built.stderr)
    return found


def test_the_wheel_keeps_everything_inside_the_prilavok_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert tops == {"prilavok"}
    for folder in TOP_FOLDERS:
        assert f"prilavok/{folder}/__init__.py" in names
    for asset in (
        "prilavok/static/widget/dist/widget.js",
        "prilavok/static/vendor/socket.io.esm.min.js",
        "prilavok/static/vendor/chart.umd.js",
        "prilavok/static/console/index.html",
        "prilavok/static/admin/login.html",
        "prilavok/static/admin/_layout.html",
        "prilavok/static/shared/tokens.css",
        "prilavok/storage/migrations/env.py",
        "prilavok/bot/html/offer.html",
    ):
        assert asset in names, asset
    assert not any("/widget/src/" in name for name in names)
    assert not any("node_modules" in name for name in names)


def test_a_clean_checkout_gets_its_metadata_before_the_assets_are_built(tmp_path: Path) -> None:
    """pip asks for the metadata (egg_info) before anything is built: a clean checkout has no
    static/vendor or static/widget/dist yet, and the packaging must not need them then."""
    source = tmp_path / "prilavok"
    shutil.copytree(
        ROOT,
        source,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "node_modules", "build", "data", "*.egg-info", "__pycache__",
            "dist", "vendor",
        ),
    )  # fmt: skip
    assert not (source / "static/vendor").exists()
    # A dry run stops after the metadata (pip's own build environment, as a real install).
    out = run(
        sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", source, cwd=tmp_path
    )
    assert "Would install prilavok-" in out


def test_the_build_names_every_folder_it_carries(wheel: Path) -> None:
    """setuptools warns of a folder it carries as data yet finds importable and not listed
    (migrations, static/admin ...): the packaging would be ambiguous, and such a folder is
    dropped once setuptools turns the warning into the rule it announces."""
    log = (wheel.parent / "build.log").read_text()
    assert "running build_py" in log  # the backend's output is in the log
    assert "is absent from the `packages` configuration" not in log


async def test_installed_beside_django_channels_it_serves_from_another_folder(
    wheel: Path, tmp_path: Path
) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    site = Path(
        run(
            python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path
        ).strip()
    )
    # This venv's libraries, not its site hooks: the editable checkout stays out of reach.
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(python, "-m", "pip", "install", "-q", "--no-deps", "channels", wheel, cwd=tmp_path)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    probe = run(
        python,
        "-c",
        "import channels, prilavok.channels as ours, prilavok.app;"
        "print(channels.__file__); print(ours.__file__); print(prilavok.app.__file__)",
        cwd=elsewhere,
    ).split()
    assert "site-packages/channels/__init__.py" in probe[0]  # Django Channels, untouched
    assert "site-packages/prilavok/channels/" in probe[1]
    assert str(ROOT) not in " ".join(probe)

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRILAVOK_")}
    env["PATH"] = f"{env_dir / 'bin'}:{env['PATH']}"
    log = (tmp_path / "server.log").open("wb")
    server = await asyncio.create_subprocess_exec(
        env_dir / "bin" / "prilavok",
        "serve",
        "--port",
        str(port),
        cwd=elsewhere,
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + 60
            while True:
                try:
                    async with http.get(f"{base}/readyz") as ready:
                        if ready.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    pass
                assert server.returncode is None, (tmp_path / "server.log").read_text()
                assert time.monotonic() < deadline, "the installed server never became ready"
                await asyncio.sleep(0.3)
            for path, marker in (
                ("/widget.js", b"prilavok"),
                ("/console", b"<html"),
                ("/admin/login", b"<html"),
                ("/vendor/socket.io.esm.min.js", b"io"),
                ("/static/shared/tokens.css", b"--"),
                ("/shop/index.html", b"widget.js"),
            ):
                async with http.get(base + path) as response:
                    assert response.status == 200, path
                    assert marker in await response.read(), path
        # Its SQLite database lives in the folder it was started from.
        assert (elsewhere / "data").is_dir()
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), 30)
        log.close()
