"""The facts written beside every benchmark figure: when and on what machine."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime


def machine_line() -> str:
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {os.cpu_count()} cores ({cpu}) · {platform.machine()} · "
        f"{platform.system()} {platform.release()} · Python {platform.python_version()}"
    )
