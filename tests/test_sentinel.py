"""Redis Sentinel with real processes on loopback: a master, a replica and a sentinel. The
master is shut down mid-run; the dashboard answers 503 during the failover and recovers on
the promoted replica, and a worker finishes the job it held and performs one enqueued after
the failover."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from resque_web import Resque
from resque_web.connection import SentinelURL, connect, mask_url, new_pool
from resque_web.keys import Keys
from resque_web.redis_server import free_port, stop_process
from resque_web.web import create_app
from tests.support.worker import RunningWorker, wait_until

K = Keys()
SERVICE = "resque-test"


class Node:
    """A redis-server (or sentinel) process of this test, stopped at the end."""

    def __init__(self, workdir: Path, name: str, *args: str) -> None:
        self.port = free_port()
        self.dir = workdir / name
        self.dir.mkdir()
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        self.process = subprocess.Popen(
            [binary, *args[:1], "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.dir), *args[1:]],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.client = redis.Redis(port=self.port, decode_responses=True, socket_timeout=2)
        wait_until(self._up, 10, f"{name} on port {self.port}")

    def _up(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        stop_process(self.process)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[dict[str, Node]]:
    nodes: dict[str, Node] = {}
    try:
        nodes["master"] = Node(tmp_path, "master", "")
        nodes["replica"] = Node(
            tmp_path, "replica", "", "--replicaof", "127.0.0.1", str(nodes["master"].port)
        )
        replica = nodes["replica"].client
        wait_until(
            lambda: replica.info("replication").get("master_link_status") == "up", 10, "sync"
        )
        conf = tmp_path / "sentinel.conf"
        master_port = nodes["master"].port
        conf.write_text(
            f"sentinel monitor {SERVICE} 127.0.0.1 {master_port} 1\n"
            f"sentinel down-after-milliseconds {SERVICE} 800\n"
            f"sentinel failover-timeout {SERVICE} 4000\n"
        )
        nodes["sentinel"] = Node(tmp_path, "sentinel", str(conf), "--sentinel")
        sentinel = nodes["sentinel"].client
        wait_until(
            lambda: sentinel.execute_command("SENTINEL", "REPLICAS", SERVICE), 10, "the replica"
        )
        yield nodes
    finally:
        for node in nodes.values():
            node.stop()


def master_port(sentinel: redis.Redis) -> int:
    return int(sentinel.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE)[1])


def test_url_shape_and_masking() -> None:
    found = SentinelURL.parse("redis+sentinel://p%40ss@10.0.0.1:26380,10.0.0.2,[::1]:1/svc/3")
    assert found.sentinels == [("10.0.0.1", 26380), ("10.0.0.2", 26379), ("::1", 1)]
    assert (found.service, found.db, found.password, found.username) == ("svc", 3, "p@ss", None)
    assert SentinelURL.parse("redis+sentinel://u:pw@h:1/svc").username == "u"
    assert mask_url("redis+sentinel://secret@h:1,h:2/svc/1") == "redis+sentinel://***@h:1,h:2/svc/1"
    assert "secret" not in mask_url("redis+sentinel://h:1/svc?sentinel_password=secret")
    for bad, why in (
        ("redis+sentinel://h:1/", "no service name"),
        ("redis+sentinel:///svc", "no sentinel"),
        ("redis+sentinel://h:x/svc", "port is not a number"),
        ("redis+sentinel://h:1/svc/x", "not a number"),
    ):
        with pytest.raises(ValueError, match=why):
            new_pool(bad)


def test_failover_dashboard_recovers_and_worker_goes_on(
    cluster: dict[str, Node], tmp_path: Path
) -> None:
    started = time.monotonic()
    sentinel = cluster["sentinel"].client
    url = f"redis+sentinel://127.0.0.1:{cluster['sentinel'].port}/{SERVICE}/0"
    old_master = master_port(sentinel)
    assert old_master == cluster["master"].port
    resque = Resque(connect(url, socket_timeout=1.0))
    resque.enqueue_to("q", "Record", "before")
    app = create_app({"TESTING": True, "REDIS_URL": url, "RESQUE_WEB_REDIS_TIMEOUT": 1})
    client = app.test_client()
    assert client.get("/api/v1/stats").get_json()["pending"] == 1
    record = tmp_path / "rec"
    worker = RunningWorker(url, "q", "--no-fork", record=record)
    try:
        try:
            wait_until(lambda: record.exists() and "before" in record.read_text(), 10, "job 1")
        except AssertionError:
            raise AssertionError(worker.log()) from None
        # A job the worker holds while its master goes away.
        resque.enqueue_to("q", "Sleep", 3, "held")
        wait_until(lambda: "start held" in record.read_text(), 10, "the held job to start")
        cluster["master"].stop()
        statuses = []
        while True:
            status = client.get("/api/v1/stats").status_code
            statuses.append(status)
            if status == 200 and master_port(sentinel) != old_master:
                break
            assert status in (200, 503), status
            assert time.monotonic() - started < 25, statuses
            time.sleep(0.1)
        assert 503 in statuses  # the failover showed as Redis unavailable, not a 500
        assert master_port(sentinel) == cluster["replica"].port
        html = client.get("/overview")
        assert html.status_code == 200
        # After the failover: enqueue through the same URL; the worker performs it.
        Resque(connect(url, socket_timeout=1.0)).enqueue_to("q", "Record", "after")
        wait_until(lambda: "after" in record.read_text().split(), 15, "the job after")
        lines = record.read_text().split("\n")
        assert "held" in lines  # the popped job was finished, not lost
        promoted = cluster["replica"].client
        wait_until(lambda: not promoted.exists(K.worker(worker.id)), 5, "the done step")
        assert int(promoted.get(K.processed) or 0) >= 3, worker.log()
        assert promoted.sismember(K.workers, worker.id)
    finally:
        worker.stop()
    assert time.monotonic() - started < 30


def test_pages_name_the_sentinel_service(cluster: dict[str, Node]) -> None:
    url = f"redis+sentinel://127.0.0.1:{cluster['sentinel'].port}/{SERVICE}/0"
    client = create_app({"TESTING": True, "REDIS_URL": url}).test_client()
    assert client.get("/api/v1/stats").get_json()["server"] == (
        f"redis+sentinel service {SERVICE} (db 0)"
    )
    assert f"127.0.0.1:{cluster['sentinel'].port}/{SERVICE}/0" in client.get("/overview").text
