"""What the tests and the benchmarks share, kept out of Prilavok itself.

In-process fakes of the outside services (`devkit.fakes`: Telegram, Viber, SMS, a clock), the
launcher of real server processes (`devkit.processes`) and loopback ports (`devkit.ports`).
Imported from the repository root by `tests/` and `bench/`; `prilavok` never imports it (an
import-linter contract in pyproject.toml) and the wheel does not carry it (setup.py).
"""
