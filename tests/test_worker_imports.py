"""What a worker carries into every job's child: every fork copies it (about 0.25 ms per MB
per job measured on a small VM), so the package's top level loads the plugins (retry,
status, the scheduler's entries with croniter, dateutil and yaml) only when they are asked
for, and ``from resque_web import X`` still works for every name it exports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import redis

import resque_web
from resque_web import Resque
from tests.support.worker import ROOT, run_burst

# Never needed to perform a job: the dashboard, the scheduler's parsers, the plugins.
HEAVY = (
    "croniter",
    "dateutil",
    "flask",
    "jinja2",
    "resque_web.retry",
    "resque_web.scheduler.entries",
    "resque_web.status",
    "resque_web.web",
    "werkzeug",
    "yaml",
)

PROBE_JOB = """
import json, os, sys
from resque_web import job

@job("LoadedModules")
def loaded_modules(path):
    with open(path, "w") as out:
        json.dump({"pid": os.getpid(), "modules": sorted(sys.modules)}, out)
"""


def fresh(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_every_exported_name_resolves() -> None:
    for name in resque_web.__all__:
        assert getattr(resque_web, name) is not None, name
    assert set(resque_web.__all__) <= set(dir(resque_web))
    names = ", ".join(resque_web.__all__)
    assert fresh(f"from resque_web import {names}\nprint('ok')") == "ok\n"


def test_the_plugins_load_on_first_use_and_are_the_plugins_own_classes() -> None:
    out = fresh(
        "import sys, resque_web\n"
        f"heavy = {tuple(h + '.' for h in HEAVY) + HEAVY!r}\n"
        "print([m for m in sorted(sys.modules) if any(m.startswith(h) for h in heavy)])\n"
        "from resque_web.retry import ExponentialBackoff, Retry\n"
        "from resque_web.scheduler.entries import ScheduleEntry, ScheduleError\n"
        "from resque_web.status import StatusJob\n"
        "print(resque_web.Retry is Retry, resque_web.ExponentialBackoff is ExponentialBackoff,\n"
        "      resque_web.StatusJob is StatusJob, resque_web.ScheduleEntry is ScheduleEntry,\n"
        "      resque_web.ScheduleError is ScheduleError)\n"
        "import resque_web.scheduler as s\n"
        "print(s.parse_entry is sys.modules['resque_web.scheduler.entries'].parse_entry)\n"
        "try:\n"
        "    resque_web.NoSuchThing\n"
        "except AttributeError as exc:\n"
        "    print(exc)\n"
    )
    assert out.splitlines() == [
        "[]",
        "True True True True True",
        "True",
        "module 'resque_web' has no attribute 'NoSuchThing'",
    ]


def test_set_schedule_still_refuses_a_bad_entry_before_writing(r: redis.Redis) -> None:
    resque = Resque(r)
    try:
        resque.set_schedule("nightly", {"cron": "not a cron", "class": "Report"})
    except resque_web.ScheduleError as exc:
        assert "nightly" in str(exc)
    else:
        raise AssertionError("a bad cron was stored")
    assert not r.exists(resque.keys.persistent_schedules)


def test_a_job_child_carries_no_plugin_scheduler_or_dashboard_module(
    redis_url: str, resque: Resque, tmp_path: Path
) -> None:
    jobs = tmp_path / "probe_jobs.py"
    jobs.write_text(PROBE_JOB)
    out = tmp_path / "modules.json"
    resque.enqueue_to("default", "LoadedModules", str(out))
    done = run_burst(redis_url, "--queues", "default", "-r", str(jobs))
    assert done.returncode == 0, done.stderr
    assert "forking a child per job" in done.stderr
    loaded = json.loads(out.read_text())
    carried = [m for m in loaded["modules"] if any(m == h or m.startswith(f"{h}.") for h in HEAVY)]
    assert carried == []
    assert "resque_web.worker.forkserver" in loaded["modules"]  # it was a worker's child
