"""Every figure of issue 13 in one command, each printed with its goal and its anchor.

    .venv/bin/python benchmarks/all.py            # the full runs (~5-10 minutes on a quiet machine)
    .venv/bin/python benchmarks/all.py --quick    # a smoke run of each

Runs, one after the other (each in its own process, so one's imports and memos never help another):

1. ``benchmarks/speed.py``: episode and gym steps against CartPole, logged episodes, scheduling at 1,000
   nodes, trace load against raw msgpack, memory over 100,000 steps;
2. ``benchmarks/report.py``: the scenario suite with its HTML report against pytest's floor, -n 2 against
   -n 0 (wall and CPU-estimated, under each xdist scheduler), start-up cost per process;
3. ``benchmarks/api.py``: the served API (kubectl round trip against a canned server, requests/s and
   latency through the official client, a bash agent end to end).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run of each script")
    args = parser.parse_args(argv)
    quick = ["--quick"] if args.quick else []
    failed = []
    for script in ("speed.py", "report.py", "api.py"):
        print(
            f"\n=== benchmarks/{script} {' '.join(quick)} (load average {os.getloadavg()[0]:.1f})", flush=True
        )
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(HERE / script), *quick])
        print(f"=== {script}: {time.perf_counter() - start:.0f} s wall, exit code {code}", flush=True)
        if code:
            failed.append(script)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
