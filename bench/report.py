"""bench/RESULTS.md: the machine, then one table per scenario, then the issue's targets."""

from __future__ import annotations

from typing import Any

from bench.compare import targets
from bench.targets import BASELINES


def _row(cells: list[Any]) -> str:
    return "| " + " | ".join("—" if c is None else str(c) for c in cells) + " |"


def _bound(value: Any, capped: bool, sign: str) -> Any:
    return f"{sign}{value}" if capped and value is not None else value


def _table(head: list[str], rows: list[list[Any]]) -> list[str]:
    return [_row(head), _row(["---"] * len(head)), *(_row(r) for r in rows)]


def _errors(results: list[dict[str, Any]]) -> list[str]:
    bad = [r for r in results if "error" in r]
    if not bad:
        return []
    lines = ["", "## Scenarios that failed", ""]
    lines += [f"- {r['scenario']} / {r['target']}: {r['error']}" for r in bad]
    return lines


def render(
    machine: dict[str, Any],
    profile: str,
    command: str,
    note: str,
    results: list[dict[str, Any]],
    compared: dict[str, Any],
) -> str:
    lines = ["# Benchmark results", ""]
    if note:
        lines += [f"> **{note}**", ""]
    lines += [
        f"Profile `{profile}`, {machine['date']}. Produced by `{command}`; see "
        "bench/README.md for what each figure means.",
        "",
        "## Machine",
        "",
        *_table(["what", "value"], [[k.replace("_", " "), v] for k, v in machine.items()]),
    ]

    idle = [r for r in results if r.get("scenario") == "idle_density" and "connections" in r]
    lines += ["", "## Idle density", ""]
    lines += _table(
        [
            "server",
            "connections",
            "errors",
            "RSS/conn KiB",
            "server RSS MiB",
            "idle server CPU %",
            "generator CPU %",
            "connects/s",
        ],
        [
            [
                r["target"],
                r["connections"],
                r["connect_errors"],
                r["rss_per_connection_kib"],
                r["rss_mib"],
                r["server_cpu_pct"],
                r["generator_cpu_pct"],
                r["connects_per_second"],
            ]
            for r in idle
        ],
    )

    relays = [r for r in results if r.get("scenario") == "relay" and "steps" in r]
    lines += ["", "## Relay (visitor → operator)", ""]
    if relays:
        r0 = relays[0]
        lines += [
            f"{r0['visitors']} visitors, {r0['operators']} operators, "
            f"{r0['step_seconds']} s per rate; latency from the visitor's send to the "
            "operator's receipt; CPU in % of one core.",
            "",
        ]
    lines += _table(
        [
            "server",
            "rate/s",
            "achieved/s",
            "p50 ms",
            "p99 ms",
            "max ms",
            "lost",
            "ack errors",
            "ack p99 ms",
            "server CPU %",
            "generator CPU %",
            "server CPU ms/msg",
            "generator CPU ms/msg",
        ],
        [
            [
                r["target"],
                f"{s['rate']} (retry)" if s.get("attempt", 1) > 1 else s["rate"],
                s["achieved_rate"],
                s["p50_ms"],
                s["p99_ms"],
                s["max_ms"],
                s["lost"],
                s["ack_errors"],
                s["ack_p99_ms"],
                s["server_cpu_pct"],
                s["generator_cpu_pct"],
                s.get("server_cpu_ms_per_message"),
                s.get("generator_cpu_ms_per_message"),
            ]
            for r in relays
            for s in r["steps"]
        ],
    )

    lines += ["", "## Prilavok against the baselines", ""]
    lines += [
        "Throughput: the best rate with p99 within the limit and nothing lost, Prilavok ÷ "
        "baseline; `≥` marks a rate that never passed the limit (capped by the profile), "
        "so a ratio to it is an upper bound (`≤`). Latency and server CPU per message: "
        f"ratios at {compared['common_rate']} messages/s, the highest rate every server ran.",
        "",
    ]
    lines += _table(
        ["server", "best rate/s", "÷ bare-python", "÷ bare-node"]
        + [f"{what} ÷ {base}" for base in ("python", "node") for what in ("p50", "p99", "CPU/msg")],
        [
            [
                c["target"],
                _bound(c["best_rate"], c["capped"], "≥") or f"< {c['lowest_rate']}",
                *(
                    _bound(c.get(f"throughput_vs_{b}"), c.get(f"{b}_capped", False), "≤")
                    for b in BASELINES
                ),
                *(
                    c.get(f"{what}_vs_{b}")
                    for b in BASELINES
                    for what in ("p50", "p99", "cpu_per_message")
                ),
            ]
            for c in compared["rows"]
        ],
    )

    dispatch = [r for r in results if r.get("scenario") == "dispatch"]
    lines += ["", "## Dispatch", ""]
    lines += _table(
        ["scenario", "status"],
        [[r["target"], r.get("skipped") or r.get("error") or "ran"] for r in dispatch],
    )

    lines += ["", "## Issue 5 targets", ""]
    lines += _table(["target", "this run"], [list(t) for t in targets(results, compared)])
    lines += _errors(results)
    return "\n".join(lines) + "\n"
