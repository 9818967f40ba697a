"""bench/RESULTS.md: the machine, then one table per scenario, then the issue's targets."""

from __future__ import annotations

from typing import Any

from bench.compare import scale_targets, targets
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


def _dispatch(found: list[dict[str, Any]]) -> list[str]:
    lines = ["", "## Dispatch", ""]
    camps = [(r["target"], r["campaign"]) for r in found if "campaign" in r]
    plans = [p for r in found for p in r.get("planning", [])]
    if not camps and not plans:
        return lines + _table(
            ["scenario", "status"],
            [[r["target"], r.get("skipped") or r.get("error") or "ran"] for r in found],
        )
    lines += [
        "Campaign: one offer to every customer, through a fake Telegram that refuses (429 with "
        "`retry_after`) a 31st message within any one second. *sustained/s* leaves out the "
        "first seconds (*ramp s*); *early retries*: sends that came before their retry_after "
        "was over; *lost*: customers who did not get exactly one message (*missing* + "
        "*duplicated*); *busiest second*: the most messages any one-second window held "
        "(`prilavok-3proc`: three processes, each with its own worker, keeping the limit "
        "together through Redis). CPU in % of one core over the campaign, all processes.",
        "",
    ]
    lines += _table(
        [
            "server",
            "customers",
            "accepted",
            "sustained/s",
            "% of 30/s",
            "busiest second",
            "overall/s",
            "ramp s",
            "429s",
            "early retries",
            "lost",
            "missing",
            "duplicated",
            "server CPU %",
            "server CPU ms/msg",
            "fake Telegram CPU %",
        ],
        [
            [
                target,
                c["planned"],
                c["accepted"],
                c["sustained_per_second"],
                c["sustained_share_of_limit"] and round(c["sustained_share_of_limit"] * 100, 1),
                c.get("busiest_second"),
                c["overall_per_second"],
                c["ramp_seconds_left_out"],
                c["http_429"],
                c["retries_before_retry_after"],
                c["lost"],
                c["missing"],
                c["duplicated"],
                c["server_cpu_pct"],
                c.get("server_cpu_ms_per_message"),
                c["fake_telegram_cpu_pct"],
            ]
            for target, c in camps
        ],
    )
    lines += [
        "",
        "Planning: `bot.planning.create` in a process of its own — the SKU check, eligibility "
        "(consent in some channel), a slug per distinct name, codes, and every delivery row "
        "written, in one transaction. Stock is checked and texts are rendered at send time, "
        "for the channel of that moment; *render* times that step alone for every planned row "
        "(Telegram text and buttons through `bot.compose`). Peak RSS is the process's "
        "`ru_maxrss`, imports included.",
        "",
    ]
    lines += _table(
        [
            "database",
            "customers",
            "with consent",
            "distinct names",
            "rows written",
            "seconds",
            "rows/s",
            "RSS before MiB",
            "peak RSS MiB",
            "render s",
            "rendered/s",
        ],
        [
            [
                p["backend"],
                p["customers"],
                p["eligible"],
                p["distinct_names"],
                p["rows_written"],
                p["seconds"],
                p["rows_per_second"],
                p["rss_before_mib"],
                p["peak_rss_mib"],
                p.get("render", {}).get("seconds"),
                p.get("render", {}).get("per_second"),
            ]
            for p in plans
        ],
    )
    return lines


def _queue_bytes(found: list[dict[str, Any]]) -> list[str]:
    if not found:
        return []
    lines = ["", "## Queue bytes", "", "Bytes one console receives while N chats queue.", ""]
    return lines + _table(
        ["server", "chats", "console bytes", "bytes/chat", "events", "server CPU s"],
        [
            [
                r["target"],
                r.get("chats"),
                r.get("console_bytes"),
                r.get("console_bytes_per_chat"),
                ", ".join(f"{k} {n}" for k, n in (r.get("console_events") or {}).items()),
                r.get("server_cpu_seconds"),
            ]
            for r in found
            if "error" not in r
        ],
    )


def _journeys(found: list[dict[str, Any]]) -> list[str]:
    runs = [b for r in found for b in r.get("backends", [])]
    if not runs:
        return []
    lines = ["", "## Journeys", ""]
    lines += [
        "`bench/journeys.py` in processes of their own, a fresh database each. *Entering*: "
        "one `cart.changed` event per customer, in batches of 1,000 through "
        "`shop_events.record` with every listener the app wires (what `POST /api/v1/events` "
        "calls), on serve's event loop and collector settings, the given number of "
        "requests in flight; CPU is the process's own, server CPU PostgreSQL's backends' (SQLite "
        "runs in the process). *Steps*: "
        "that many first steps due at once, taken by the worker's journey pass (a delivery "
        "row each); RSS before the pass and its peak.",
        "",
    ]
    lines += _table(
        ["database", "events", "in flight", "runs", "seconds", "events/s", "CPU s",
         "server CPU s", "peak RSS MiB", "steps", "steps s", "steps/s", "RSS before MiB",
         "peak RSS MiB"],
        [
            [b["backend"], e["events"], e.get("inflight"), e["runs"], e["seconds"],
             e["per_second"], e.get("cpu_seconds"), e.get("server_cpu_seconds"),
             e["peak_rss_mib"], t["steps"],
             t["seconds"], t["per_second"], t.get("rss_before_mib"), t["peak_rss_mib"]]
            for b in runs
            for e, t in [(b["enter"], b["steps"])]
        ],
    )  # fmt: skip
    lines += ["", "| target | this run |", "| --- | --- |"]
    lines.append(
        "| 500,000 customers' carts entering in ≤ 60 s, SQLite and PostgreSQL | "
        + "; ".join(
            f"{b['backend']}: {b['enter']['events']:,} in {b['enter']['seconds']} s" for b in runs
        )
        + " |"
    )
    lines.append(
        "| 1,000 due steps a second, flat memory | "
        + "; ".join(
            f"{b['backend']}: {b['steps']['per_second']}/s, RSS "
            f"{b['steps'].get('rss_before_mib')} → {b['steps']['peak_rss_mib']} MiB"
            for b in runs
        )
        + " |"
    )
    return lines


def _calendar(found: list[dict[str, Any]]) -> list[str]:
    if not found:
        return []
    about = ("One planning pass over the whole purchase history (target: 500,000 customers, "
             "2 million purchases, ≤ 120 s, flat memory).")  # fmt: skip
    lines = ["", "## Offer calendar", "", about, ""]
    keys = ["customers", "purchases", "planned", "held_out", "gifts", "waiting_for_period",
            "plan_seconds", "cpu_seconds", "rss_before_mib", "rss_peak_mib"]  # fmt: skip
    return lines + _table(keys, [[r.get(k) for k in keys] for r in found if "error" not in r])


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
            "Redis msgs/msg",
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
                s.get("redis_messages_per_message"),
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

    lines += _dispatch([r for r in results if r.get("scenario") == "dispatch"])

    lines += _queue_bytes([r for r in results if r.get("scenario") == "queue_bytes"])

    lines += _journeys([r for r in results if r.get("scenario") == "journeys"])
    lines += _calendar([r for r in results if r.get("scenario") == "calendar"])

    lines += ["", "## Benchmark targets", ""]
    lines += _table(["target", "this run"], [list(t) for t in targets(results, compared)])
    lines += ["", "## Several-process targets", ""]
    lines += [
        "Redis messages: `prilavok_redis_messages_received_total` summed over the processes, "
        "per visitor message sent; `-stock` is python-socketio's own Redis manager "
        "(`PRILAVOK_REDIS_ROUTING=broadcast`).",
        "",
    ]
    lines += _table(["target", "this run"], [list(t) for t in scale_targets(results)])
    lines += _errors(results)
    return "\n".join(lines) + "\n"


def as_section(markdown: str, date: str) -> str:
    """A report from `render` as one section of the results history: its title becomes the
    run's heading and every heading under it goes one level down."""
    lines = markdown.splitlines()
    out = [f"## Run of {date}"]
    for line in lines[1:]:
        out.append(f"#{line}" if line.startswith("#") else line)
    return "\n".join(out).rstrip() + "\n"


def add_run(history: str, markdown: str, date: str) -> str:
    """The history with this run added at its end (the whole report when there is none yet)."""
    if not history.strip():
        return markdown
    return history.rstrip() + "\n\n" + as_section(markdown, date)
