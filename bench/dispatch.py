"""Dispatch: a campaign through a fake Telegram server that enforces 30 messages a second.

Needs the messenger offers (issue 4). Until `bot.offers` (or a module like it) exists, the
scenario reports itself as skipped; bench/README.md says what it will drive.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from bench.config import Profile

OFFERS_MODULES = ("bot.offers", "bot.campaigns", "bot.dispatch")
SKIPPED = "needs the offers feature (issue 4)"


def offers_module() -> str | None:
    for name in OFFERS_MODULES:
        try:
            if importlib.util.find_spec(name) is not None:
                return name
        except ModuleNotFoundError:
            continue
    return None


async def dispatch(target: str, profile: Profile, run_dir: Path) -> dict[str, Any]:
    found = offers_module()
    if found is None:
        return {"scenario": "dispatch", "target": target, "skipped": SKIPPED}
    # TODO(issue 4): drive the campaign and the 500,000-customer planning (bench/README.md).
    return {
        "scenario": "dispatch",
        "target": target,
        "skipped": f"{found} exists, but the dispatch driver is not written yet (bench/README.md)",
    }
