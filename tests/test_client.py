"""The queue API against a real redis-server, compared with what Ruby Resque wrote."""

from __future__ import annotations

import json

import pytest
import redis

import resque_web
from examples import batch_enqueue
from resque_web import NoQueueError, Resque
from tests.support.dump import dump_keys


class Archive:
    queue = "file_serve"

    @staticmethod
    def perform(repo_id: int, branch: str = "master") -> None:
        pass


def test_enqueue_writes_rubys_bytes_and_registers_the_queue(resque: Resque, r: redis.Redis) -> None:
    ruby = dump_keys()["resque:queue:default"]["value"]
    sample = json.loads(ruby[1])  # {"class":"Archive","args":[32,"tar","one too many"]}
    resque.enqueue_to("default", sample["class"], *sample["args"])
    assert r.lrange("resque:queue:default", 0, -1) == [ruby[1]]
    assert r.smembers("resque:queues") == {"default"}


def test_enqueue_uses_the_class_queue_and_import_path(resque: Resque, r: redis.Redis) -> None:
    assert resque.enqueue(Archive, 35, "tar")
    assert r.lrange("resque:queue:file_serve", 0, -1) == [
        '{"class":"tests.test_client.Archive","args":[35,"tar"]}'
    ]


def test_registered_name_is_what_ruby_sees(r: redis.Redis) -> None:
    registry = resque_web.JobRegistry()

    @registry.register("Billing::Charge")
    class Charge:
        queue = "billing"

    Resque(r, registry=registry).enqueue(Charge, 7)
    assert r.lpop("resque:queue:billing") == '{"class":"Billing::Charge","args":[7]}'
    assert registry.resolve("Billing::Charge") is Charge


def test_push_pop_peek_size(resque: Resque) -> None:
    for i in range(90):
        resque.push("my_list", {"class": "N", "args": [i]})
    assert resque.size("my_list") == 90
    third_page = resque.peek("my_list", 59, 30)
    assert [j["args"][0] for j in third_page] == list(range(59, 89))
    assert resque.peek("my_list") == {"class": "N", "args": [0]}
    assert resque.peek("my_list", 500) is None
    assert resque.pop("my_list") == {"class": "N", "args": [0]}
    assert resque.size("my_list") == 89


def test_queues_sorted_and_remove_queue(resque: Resque, r: redis.Redis) -> None:
    for name in ["mailers", "critical", "ünïcode-队列"]:
        resque.enqueue_to(name, "Job")
    assert resque.queues() == ["critical", "mailers", "ünïcode-队列"]
    resque.remove_queue("mailers")
    assert resque.queues() == ["critical", "ünïcode-队列"]
    assert not r.exists("resque:queue:mailers")


def test_reserve_returns_a_job(resque: Resque) -> None:
    resque.enqueue_to("q", "Archive", 1, "x")
    job = resque.reserve("q")
    assert job is not None
    assert (job.queue, job.class_name, job.args) == ("q", "Archive", [1, "x"])
    assert resque.reserve("q") is None


def test_dequeue_by_class_and_by_args(resque: Resque) -> None:
    for i in range(3):
        resque.enqueue(Archive, i, "tar")
    resque.enqueue_to("file_serve", "Other", 1)
    assert resque.dequeue(Archive, 1, "tar") == 1
    assert resque.size("file_serve") == 3
    assert resque.dequeue(Archive) == 2
    assert resque.peek("file_serve", 0, 10) == [{"class": "Other", "args": [1]}]


def test_enqueue_many_batches_in_pipelines(resque: Resque, r: redis.Redis) -> None:
    n = resque.enqueue_many(Archive, ([i, "tar"] for i in range(4500)), batch_size=2000)
    assert n == 4500
    assert r.llen("resque:queue:file_serve") == 4500
    assert r.lindex("resque:queue:file_serve", 4499) == (
        '{"class":"tests.test_client.Archive","args":[4499,"tar"]}'
    )


def test_bad_args_write_nothing(resque: Resque, r: redis.Redis) -> None:
    with pytest.raises(TypeError, match=r"args\[1\]"):
        resque.enqueue(Archive, 1, {2, 3})
    with pytest.raises(TypeError, match=r"args\[0\]"):
        resque.enqueue_many(Archive, [[1], [object()]])
    assert r.keys("*") == []


def test_no_queue_is_a_clear_error(resque: Resque) -> None:
    class NoQueue:
        pass

    with pytest.raises(NoQueueError, match="queue"):
        resque.enqueue(NoQueue)


def test_enqueue_hooks(resque: Resque) -> None:
    seen = []

    class Hooked:
        queue = "h"

        @staticmethod
        def before_enqueue_check(x: int) -> bool:
            return x > 0

        @staticmethod
        def after_enqueue_log(x: int) -> None:
            seen.append(x)

    assert resque.enqueue(Hooked, 1) is True
    assert resque.enqueue(Hooked, -1) is False
    assert seen == [1]
    assert resque.size("h") == 1


def test_namespace_is_configurable(r: redis.Redis) -> None:
    Resque(r, namespace="resque_mq").enqueue_to("default", "Archive", 0, "pending")
    assert r.lrange("resque_mq:queue:default", 0, -1) == [
        '{"class":"Archive","args":[0,"pending"]}'
    ]
    assert r.smembers("resque_mq:queues") == {"default"}


def test_module_level_api_like_ruby(redis_url: str, r: redis.Redis) -> None:
    resque_web.configure(redis_url)
    resque_web.enqueue(Archive, 35, "tar")
    assert resque_web.size("file_serve") == 1
    assert resque_web.queues() == ["file_serve"]


def test_batch_example_enqueues_100k_in_batches(
    redis_url: str, r: redis.Redis, capsys: pytest.CaptureFixture[str]
) -> None:
    batch_enqueue.main(redis_url)
    assert r.llen("resque:queue:file_serve") == 100_000
    assert r.lindex("resque:queue:file_serve", 0) == '{"class":"Archive","args":[1,"master"]}'
    assert "enqueued 100,000 Archive jobs" in capsys.readouterr().out
