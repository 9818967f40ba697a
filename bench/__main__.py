"""Runs the benchmark scenarios, prints one JSON object per scenario, and adds the run's report
to bench/RESULTS.md (the history of runs) or writes it alone to --out.

python -m bench [--quick] [--only relay:bare-node,idle_density,journeys] [--note TEXT] [--out PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import calendar
from bench.compare import comparison
from bench.config import FULL, QUICK, Profile, override
from bench.dispatch import dispatch
from bench.idle import idle_density
from bench.journey_scenario import journeys
from bench.machine import describe
from bench.queue_bytes import queue_bytes
from bench.relay import relay
from bench.report import add_run, render
from bench.targets import BASELINES, MULTI_PROCESS, PRILAVOK, THREE_PROCESSES

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
Scenario = Callable[[str, Profile, Path], Awaitable[dict[str, Any]]]

PLAN: list[tuple[str, Scenario, str]] = [
    *(("idle_density", idle_density, t) for t in ("prilavok-sqlite", *BASELINES)),
    *(("relay", relay, t) for t in (*BASELINES, *PRILAVOK, *MULTI_PROCESS)),
    ("dispatch", dispatch, "prilavok-sqlite"),
    ("dispatch", dispatch, THREE_PROCESSES),
    ("queue_bytes", queue_bytes, "prilavok-sqlite"),
    ("journeys", journeys, "prilavok"),
    ("calendar", calendar.scenario, "prilavok-sqlite"),
]


def selected(only: str) -> list[tuple[str, Scenario, str]]:
    if not only:
        return PLAN
    wanted = [w.strip() for w in only.split(",") if w.strip()]
    return [item for item in PLAN if any(w in (item[0], f"{item[0]}:{item[2]}") for w in wanted)]


async def run_one(
    scenario: str, fn: Scenario, target: str, profile: Profile, run_dir: Path
) -> dict[str, Any]:
    began = time.monotonic()
    try:
        result = await asyncio.wait_for(fn(target, profile, run_dir), profile.scenario_timeout)
    except Exception as exc:  # one broken scenario must not stop the others
        result = {"scenario": scenario, "target": target, "error": f"{type(exc).__name__}: {exc}"}
    result["seconds"] = round(time.monotonic() - began, 1)
    return result


async def main_async(args: argparse.Namespace) -> tuple[str, bool]:
    profile = override(QUICK if args.quick else FULL, args.set)
    run_dir = Path(tempfile.mkdtemp(prefix="prilavok-bench-"))
    print(f"# profile {profile.name}; logs and databases in {run_dir}", file=sys.stderr)
    machine = describe()
    results: list[dict[str, Any]] = []
    for scenario, fn, target in selected(args.only):
        print(f"# {scenario} / {target} ...", file=sys.stderr, flush=True)
        result = await run_one(scenario, fn, target, profile, run_dir)
        results.append(result)
        print(json.dumps(result, ensure_ascii=False), flush=True)
    machine["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    compared = comparison(results)
    print(json.dumps(compared, ensure_ascii=False), flush=True)
    note = args.note or (
        "quick smoke run on a busy machine — not the target measurement" if args.quick else ""
    )
    failed = [f"{r['scenario']}:{r['target']}" for r in results if "error" in r]
    if failed:
        print(f"# failed: {', '.join(failed)}", file=sys.stderr)
    shown: list[str] = []
    skip = False
    for a in sys.argv[1:]:  # the command as given, without where the table went
        if not skip and not a.startswith("--out"):
            shown.append(a)
        skip = a == "--out"
    command = " ".join(["bash bench/run.sh", *(shlex.quote(a) for a in shown)])
    return render(machine, profile.name, command, note, results, compared), bool(failed)


def main() -> None:
    p = argparse.ArgumentParser(prog="bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="small, short settings (a smoke run)")
    p.add_argument("--only", default="", help="scenarios, e.g. relay:bare-node,idle_density")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="change a profile field (bench/config.py), e.g. --set visitors=500 --set rates=50,100",
    )
    p.add_argument("--note", default="", help="a line shown at the top of the run's report")
    p.add_argument(
        "--out", default="", help="write the report alone here (default: add it to RESULTS.md)"
    )
    args = p.parse_args()
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    markdown, failed = asyncio.run(main_async(args))
    if args.out:
        Path(args.out).write_text(markdown)
        print(f"# wrote {args.out}", file=sys.stderr)
    else:  # the history of runs: earlier ones (and notes written beside them) stay
        history = RESULTS.read_text() if RESULTS.exists() else ""
        RESULTS.write_text(add_run(history, markdown, started))
        print(f"# added the run to {RESULTS}", file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
