"""How much work one request can make the dashboard do (issue 10, item 7), measured.

Runs against whatever ``resque_web`` is importable, so the same script measures the code
before and after a change (``PYTHONPATH=/path/to/old/checkout``). Each case starts from an
empty private redis-server on a free loopback port:

- ``selection``: a POST of ``--rows`` bogus ``row=index:digest`` values (3,000 rows are
  ~149 KB, the red team's request) against ``--failures`` failures of ~``--record`` bytes:
  status, seconds and the bytes Redis sent (``total_net_output_bytes``);
- ``summary``: ``--queues`` registered queue names (1,000,000 by default): the seconds
  ``/api/v1/stats`` and ``/api/v1/queues`` take and the longest single Redis command
  (SLOWLOG with every command logged), i.e. how long Redis was blocked at a stretch;
- ``searches``: ``--clients`` distinct text searches at once over ``--failures``
  failures: each request's seconds and the Redis bytes read in all;
- ``body``: a 10 MB POST: status and seconds.

    .venv/bin/python bench/bounds.py [--cases selection,summary,searches,body]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

import redis

from resque_web.redis_server import RedisServer
from resque_web.web import create_app


def net_out(r: redis.Redis) -> int:
    return int(r.info("stats")["total_net_output_bytes"])


def failures(r: redis.Redis, count: int, size: int) -> None:
    pad = "x" * max(0, size - 250)
    base = {
        "failed_at": "2026/11/27 17:05:08 UTC",
        "exception": "RuntimeError",
        "backtrace": ["app/jobs/archive.rb:3:in `perform'"],
        "worker": "box:1:default",
        "queue": "default",
    }
    for start in range(0, count, 5000):
        rows = [
            json.dumps(
                {**base, "payload": {"class": "Archive", "args": [i]}, "error": f"e{i} {pad}"}
            )
            for i in range(start, min(count, start + 5000))
        ]
        r.rpush("resque:failed", *rows)


def app_for(url: str) -> Any:
    return create_app({"REDIS_URL": url, "SECRET_KEY": "bench", "TESTING": True})


def case_selection(url: str, r: redis.Redis, args: argparse.Namespace) -> dict[str, Any]:
    failures(r, args.failures, args.record)
    client = app_for(url).test_client()
    client.get("/api/v1/failed/groups")  # the failure index has read the list: quiet now
    out: dict[str, Any] = {}
    for rows in sorted({args.rows, 200}):
        step = max(1, args.failures // rows)
        form = {"action": "remove_selected", "row": [f"{i * step}:{'0' * 40}" for i in range(rows)]}
        size = sum(len(f"row={v}&") for v in form["row"])
        before, started = net_out(r), time.perf_counter()
        response = client.post("/failed", data=form)
        out[f"{rows} rows ({size / 1024:.0f} KB)"] = {
            "status": response.status_code,
            "seconds": round(time.perf_counter() - started, 3),
            "redis_bytes_out": net_out(r) - before,
        }
    return out


def longest_command(r: redis.Redis, call: Callable[[], Any]) -> tuple[float, float, str]:
    """(seconds of ``call``, longest single command in ms, its name)."""
    r.config_set("slowlog-log-slower-than", 0)
    r.config_set("slowlog-max-len", 100_000)
    r.slowlog_reset()
    started = time.perf_counter()
    call()
    seconds = time.perf_counter() - started
    entries = r.slowlog_get(100_000)
    r.config_set("slowlog-log-slower-than", 10_000)

    def name_of(entry: dict[str, Any]) -> str:
        command = entry["command"]
        text = command.decode() if isinstance(command, bytes) else str(command)
        return text.split(" ")[0].upper()

    # The measurement's own commands (SLOWLOG, CONFIG) are not the dashboard's.
    ours = [e for e in entries if name_of(e) not in ("SLOWLOG", "CONFIG")]
    top = max(ours, key=lambda e: e["duration"])
    name = name_of(top)
    return seconds, top["duration"] / 1000, name


def case_summary(url: str, r: redis.Redis, args: argparse.Namespace) -> dict[str, Any]:
    pipe = r.pipeline(transaction=False)
    for start in range(0, args.queues, 10_000):
        pipe.sadd("resque:queues", *[f"q{i:07d}" for i in range(start, start + 10_000)])
    pipe.execute()
    r.rpush("resque:queue:q0000001", "job")
    client = app_for(url).test_client()
    client.get("/api/v1/stats")  # warm: scripts loaded, pools open
    out = {}
    for path in ("/api/v1/stats", "/api/v1/queues"):
        seconds, ms, name = longest_command(r, lambda p=path: client.get(p).get_data())
        out[path] = {
            "seconds": round(seconds, 3),
            "longest_redis_command_ms": round(ms, 2),
            "command": name,
        }
    return out


def case_searches(url: str, r: redis.Redis, args: argparse.Namespace) -> dict[str, Any]:
    failures(r, args.failures, args.record)
    app = app_for(url)
    app.test_client().get("/api/v1/failed/groups")  # index ready
    times: list[float] = []
    answers: list[dict[str, Any]] = []
    lock = threading.Lock()

    def search(n: int) -> None:
        client = app.test_client()
        started = time.perf_counter()
        data = client.get(f"/api/v1/failed?q=needle-{n}").get_json()
        with lock:
            times.append(time.perf_counter() - started)
            answers.append(data)

    before, started = net_out(r), time.perf_counter()
    threads = [threading.Thread(target=search, args=(n,)) for n in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "clients": args.clients,
        "wall_seconds": round(time.perf_counter() - started, 3),
        "median_request_seconds": round(statistics.median(times), 3),
        "max_request_seconds": round(max(times), 3),
        "complete": sum(1 for a in answers if a.get("complete")),
        "busy": sum(1 for a in answers if a.get("busy")),
        "redis_bytes_out": net_out(r) - before,
    }


def case_body(url: str, r: redis.Redis, args: argparse.Namespace) -> dict[str, Any]:
    client = app_for(url).test_client()
    started = time.perf_counter()
    response = client.post("/failed", data={"action": "retry_all", "pad": "x" * 10_000_000})
    return {"status": response.status_code, "seconds": round(time.perf_counter() - started, 3)}


CASES = {
    "selection": case_selection,
    "summary": case_summary,
    "searches": case_searches,
    "body": case_body,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--failures", type=int, default=20_000)
    parser.add_argument("--record", type=int, default=300, help="bytes per failure record")
    parser.add_argument("--queues", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    import resque_web

    results: dict[str, Any] = {"code": os.path.dirname(resque_web.__file__)}
    for name in args.cases.split(","):
        with RedisServer() as server:
            r = redis.Redis(port=server.port)
            try:
                results[name] = CASES[name](server.url, r, args)
            finally:
                r.close()
        print(json.dumps({name: results[name]}), flush=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
