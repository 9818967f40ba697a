"""bench/RESULTS.md is the history of runs: a run is added to it, never written over it."""

from __future__ import annotations

from bench.report import add_run, render

MACHINE = {"date": "2026-12-03 07:44 UTC", "cores": 2}
COMPARED = {"common_rate": None, "rows": []}  # a run with no relay scenario


def report() -> str:
    return render(MACHINE, "full", "bash bench/run.sh --only relay:x", "", [], COMPARED)


def test_a_run_is_added_after_the_earlier_ones_with_its_headings_one_level_down() -> None:
    history = "# Benchmark results\n\n## Scale-out runs, 2026-12-02\n\nhand-written notes\n"
    out = add_run(history, report(), "2026-12-03 07:44 UTC")
    assert out.startswith(history.rstrip())
    assert "hand-written notes" in out
    added = out[len(history.rstrip()) :]
    assert "\n## Run of 2026-12-03 07:44 UTC\n" in added
    assert "\n### Machine\n" in added and "\n## Machine\n" not in added
    assert "Benchmark results" not in added  # one title for the whole file
    assert "`bash bench/run.sh --only relay:x`" in added


def test_the_first_run_is_the_whole_report() -> None:
    assert add_run("", report(), "2026-12-03 07:44 UTC") == report()
