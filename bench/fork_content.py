"""What a fork costs from processes holding what a worker holds, without the worker's protocol.

    .venv/bin/python bench/fork_content.py [--forks 600] [--rounds 5] [--baseline DIR]

Each variant is a fresh ``python -c`` process that imports something, then forks a child
that calls ``os._exit(0)`` at once and waits for it, ``--forks`` times (the bare loop of
``bench/worker_throughput.py``): redis-py alone (the yardstick); what ``resque-web worker``
imports from ``--baseline DIR`` (another copy of the package, e.g. main) and from this
checkout; and this checkout's again with the fork server's huge pages
(``resque_web.worker.hugepages.collapse``). Variants alternate within each round; printed:
forks/s, CPU per fork (process and children), anonymous memory, and the median ratio of
each variant's rate to the yardstick's in the same round.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LOOP = """
import gc, json, os, sys, time
{imports}
gc.freeze()
{prepare}
def status(key):
    for line in open("/proc/self/smaps_rollup"):
        if line.startswith(key):
            return int(line.split()[1])
    return 0
t0, c0 = time.perf_counter(), os.times()
for _ in range({forks}):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
took, c1 = time.perf_counter() - t0, os.times()
cpu = sum(c1[:4]) - sum(c0[:4])
print(json.dumps({{"rate": {forks} / took, "cpu_us": cpu / {forks} * 1e6,
    "anon_mb": status("Anonymous:") / 1024, "huge_mb": status("AnonHugePages:") / 1024,
    "modules": len(sys.modules)}}))
"""

WORKER = "import redis\nimport resque_web.worker.command\nimport noop_job"
HUGE = "from resque_web.worker import hugepages\nhugepages.collapse()"


def run(imports: str, prepare: str, tree: Path, forks: int) -> dict[str, float]:
    code = LOOP.format(imports=imports, prepare=prepare, forks=forks)
    env_path = f"{tree}:{ROOT / 'bench'}"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tree,
        env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forks", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="another copy of the package (main)")
    options = parser.parse_args()
    variants: list[tuple[str, str, str, Path]] = [("redis-py alone", "import redis", "", ROOT)]
    if options.baseline:
        variants.append(("worker imports, baseline", WORKER, "", options.baseline))
    variants.append(("worker imports, this", WORKER, "", ROOT))
    variants.append(("this + huge pages", WORKER, HUGE, ROOT))
    ratios: dict[str, list[float]] = {name: [] for name, *_ in variants}
    for _ in range(options.rounds):
        rates = {}
        for name, imports, prepare, tree in variants:
            found = run(imports, prepare, tree, options.forks)
            rates[name] = found["rate"]
            print(
                f"{name:26s} {found['rate']:5.0f} forks/s, {found['cpu_us']:5.0f} us CPU/fork, "
                f"{found['anon_mb']:4.1f} MB anonymous ({found['huge_mb']:.0f} MB in huge "
                f"pages), {found['modules']:.0f} modules"
            )
        for name, rate in rates.items():
            ratios[name].append(rate / rates["redis-py alone"])
    for name, values in ratios.items():
        listed = " ".join(f"{v:.2f}" for v in values)
        print(f"{name:26s} median {statistics.median(values):.2f} of redis-py alone ({listed})")


if __name__ == "__main__":
    main()
