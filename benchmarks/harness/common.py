"""What every part of the harness shares: the paths, the log line, the statistics and their formatting."""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "benchmarks"
CACHE = Path(os.environ.get("FLOPSAR_CACHE", "/var/tmp/hardened-flopsar"))


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def stats(values):
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    return {
        "median": round(statistics.median(vals), 3),
        "min": round(min(vals), 3),
        "max": round(max(vals), 3),
        "n": len(vals),
        "runs": [round(v, 3) for v in vals],
    }


def ratios(num, den):
    """Paired ratios of two same-length run lists (round i against round i)."""
    return stats([a / b for a, b in zip(num, den, strict=False) if a and b])


def fmt(s, unit="s", digits=1):
    if not s:
        return "n/a"
    if s["n"] == 1:
        return f"{s['median']:.{digits}f}{unit} (n=1)"
    return f"{s['median']:.{digits}f}{unit} ({s['min']:.{digits}f}–{s['max']:.{digits}f}, n={s['n']})"


def fmt_ratio(s):
    return fmt(s, unit="×", digits=2)
