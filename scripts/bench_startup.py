"""Start-up time of the command lines: each command in a fresh Python process, round-robin, median of N runs.

The goal (issue: the path users walk) is under 0.5 s for ``neurodata --help``, ``neurodata list``, ``neurodata info
n-mnist``, ``neurodata info FILE``, ``snnmodels --help`` and ``snnmodels list-models``: none of them imports torch.
Besides the wall time (load-dependent), each command's imported modules are counted with ``python -X importtime``
and torch's presence is reported (load-independent).

    python scripts/bench_startup.py            # 15 runs of each command
    python scripts/bench_startup.py --runs 3   # smoke run
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FILE = REPO.parent / "shared" / "data" / "real" / "aedat2" / "dvs128_alex_walking_again.aedat"
COMMANDS = [
    ["neurodata", "--help"],
    ["neurodata", "list"],
    ["neurodata", "info", "n-mnist"],
    ["neurodata", "info", str(FILE)],
    ["snnmodels", "--help"],
    ["snnmodels", "list-models"],
]
GOAL_S = 0.5


def _run(cmd: list[str], env: dict[str, str], extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *extra, "-m", *cmd], env=env, capture_output=True, text=True, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    commands = [c for c in COMMANDS if FILE.exists() or str(FILE) not in c]
    times: dict[int, list[float]] = {i: [] for i in range(len(commands))}
    for r in range(args.runs):
        order = list(range(len(commands)))
        order = order[r % len(order) :] + order[: r % len(order)]  # rotate, so slow spells hit every command
        for i in order:
            start = time.perf_counter()
            _run(commands[i], env)
            times[i].append(time.perf_counter() - start)
    baseline = []
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        baseline.append(time.perf_counter() - start)
    print(f"| command | median s | min s | modules imported | torch | < {GOAL_S} s |")
    print("| --- | --- | --- | --- | --- | --- |")
    for i, cmd in enumerate(commands):
        trace = _run(cmd, env, ("-X", "importtime")).stderr.splitlines()
        modules = [ln.rsplit("|", 1)[-1].strip() for ln in trace if ln.startswith("import time:")][1:]
        torch = "imported" if "torch" in modules else "not imported"
        med = statistics.median(times[i])
        name = " ".join(cmd if cmd[-1] != str(FILE) else [*cmd[:-1], "FILE"])
        print(f"| `{name}` | {med:.3f} | {min(times[i]):.3f} | {len(modules)} | {torch} | "
              f"{'yes' if med < GOAL_S else 'NO'} |")
    print(f"| `python -c pass` (the interpreter alone) | {statistics.median(baseline):.3f} | {min(baseline):.3f} "
          "| | | |")


if __name__ == "__main__":
    main()
