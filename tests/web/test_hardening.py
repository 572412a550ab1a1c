"""Issue 10, "Security and robustness": each class of defect the red team found, pinned on
the real Redis. Spreadsheet formulas in exports, values nested deeper than any encoder
recurses, foreign Host headers, failure actions on keys that are not failure lists, a forged
audit user, non-UTF-8 bytes, unbounded requests, side effects of GET, oversized flashes."""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from urllib.parse import quote, unquote_to_bytes

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from resque_web.failure import FailedJob
from resque_web.payload import TOO_DEEP
from tests.support.site import Subjects, get_urls

from .html import button_posts, forms, links, parse, text

KEY = "resque:failed"
WORKER = "box-1:77:deep"


def record(**fields: Any) -> dict[str, Any]:
    base = {
        "failed_at": "2026/11/27 17:05:08 UTC",
        "payload": {"class": "Archive", "args": [1]},
        "exception": "RuntimeError",
        "error": "boom",
        "backtrace": ["app/jobs/archive.rb:3:in `perform'"],
        "worker": WORKER,
        "queue": "default",
    }
    return {**base, **fields}


def failures(r: redis.Redis) -> list[FailedJob]:
    return [FailedJob(i, raw) for i, raw in enumerate(r.lrange(KEY, 0, -1))]


def flashes(client: Any) -> list[str]:
    return [p.text() for p in parse(client.get("/failed").data).find_all("p", "flash")]


# 1. Spreadsheet formula injection --------------------------------------------------------
FORMULAS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def test_csv_export_neutralises_formulas_in_every_text_column(
    client: FlaskClient, r: redis.Redis
) -> None:
    for formula in FORMULAS:
        r.rpush(
            KEY,
            json.dumps(
                record(
                    failed_at=formula,
                    payload={"class": formula, "args": [formula]},
                    exception=formula,
                    error=formula,
                    backtrace=[formula, "second line"],
                    worker=formula,
                    queue=formula,
                )
            ),
        )
    body = client.get("/failed/export.csv").get_data(as_text=True)
    table = list(csv.DictReader(io.StringIO(body, newline="")))
    assert len(table) == len(FORMULAS)
    for formula, row in zip(FORMULAS, table):
        for column in ("queue", "worker", "failed_at", "exception", "error", "class"):
            assert row[column] == "'" + formula, (column, row[column])
        assert row["payload_class"] == "'" + formula
        assert row["backtrace"] == "'" + formula + "\nsecond line"
        assert row["args"] == json.dumps([formula])  # starts with "[": left as is
        assert row["index"].isdigit() and len(row["digest"]) == 40
    # The NDJSON export is data, not a spreadsheet: exactly as stored.
    lines = client.get("/failed/export.ndjson").get_data(as_text=True).splitlines()
    assert [json.loads(line)["error"] for line in lines] == FORMULAS


# 2. Values nested deeper than an encoder recurses -----------------------------------------
def nested(depth: int) -> Any:
    value: Any = "core"
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


# Past what a page's frames leave Python's recursion limit for formatting, while a request
# served from a fresh thread (as a real server serves it) still decodes it.
DEEP = 900
# JSON text of a value DEEP levels down (json.dumps itself cannot write it).
DEEP_JSON = '{"k":[' * (DEEP // 2) + '"core"' + "]}" * (DEEP // 2)
MARK = '"__DEEP__"'


def with_deep(value: Any) -> str:
    """``value`` as JSON, each ``"__DEEP__"`` string in it replaced by the deep value."""
    return json.dumps(value).replace(MARK, DEEP_JSON)


@pytest.fixture
def deep(r: redis.Redis) -> None:
    args = ["__DEEP__"]
    r.sadd("resque:queues", "deep")
    r.rpush("resque:queue:deep", with_deep({"class": "Deep", "args": args}))
    wrapped = {
        "class": "ActiveJob::QueueAdapters::ResqueAdapter::JobWrapper",
        "args": [{"job_class": "DeepJob", "arguments": args}],
    }
    r.rpush("resque:queue:deep", with_deep(wrapped))
    r.rpush(
        KEY,
        with_deep(record(payload={"class": "Deep", "args": args}, queue="deep")),
        with_deep(record(payload=wrapped, error="__DEEP__", exception="__DEEP__")),
        with_deep(record(backtrace=["__DEEP__"], worker="__DEEP__")),
    )
    r.sadd("resque:workers", WORKER)
    r.set(
        f"resque:worker:{WORKER}",
        with_deep({"queue": "deep", "run_at": "2026-11-27T17:05:08Z", "payload": wrapped}),
    )


class Fresh:
    """A test client whose requests run in a new thread, on a stack as shallow as a real
    server's worker thread (pytest's own frames would exhaust the recursion limit first)."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.application = client.application

    def _run(self, method: str, *args: Any, **kwargs: Any) -> Any:
        import threading

        out: list[Any] = []

        def call() -> None:
            response = getattr(self.client, method)(*args, **kwargs)
            response.get_data()  # streamed exports run in this thread too
            out.append(response)

        thread = threading.Thread(target=call)
        thread.start()
        thread.join()
        assert out, "the request raised"
        return out[0]

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self._run("get", *args, **kwargs)

    def post(self, *args: Any, **kwargs: Any) -> Any:
        return self._run("post", *args, **kwargs)


def test_every_page_and_api_renders_deeply_nested_values(
    client: FlaskClient, r: redis.Redis, deep: None
) -> None:
    client = Fresh(client)  # type: ignore[assignment]
    subjects = Subjects(queues=["deep", "default"], workers=[WORKER], hosts=["box-1"])
    extra = {
        "failed": ["q=core", "class=Deep"],
        "api_failed": ["q=core"],
        "failed_bulk": ["action=retry&q=core", "action=remove"],
    }
    urls = [u for u in get_urls(client.application, subjects, extra_args=extra)]
    urls += [f"/failed/edit?index={f.position}&digest={f.digest}" for f in failures(r)]
    bare = ("/failed/bulk", "/failed/edit")  # they need parameters: 400 without
    for url in urls:
        response = client.get(url)
        allowed = (200, 302, 404, 400) if url in bare else (200, 302, 404)
        assert response.status_code in allowed, (url, response.status_code)
        response.get_data()  # streamed exports run now
    # Decoded (then cut for display) or, where the decoder itself ran out of stack, shown
    # as its stored text with the reason: either way the page and the JSON answer.
    for item in client.get("/api/v1/queues/deep").get_json()["items"]:
        shown = json.dumps(item["args"], ensure_ascii=False)
        assert TOO_DEEP in shown or (item["error"] and item["raw"].startswith("{"))
    groups = client.get("/api/v1/failed/groups").get_json()
    assert sum(g["count"] for g in groups["groups"]) == 3


def test_a_deep_failure_can_be_removed_and_its_retry_is_refused_cleanly(
    client: FlaskClient, r: redis.Redis, deep: None
) -> None:
    client = Fresh(client)  # type: ignore[assignment]
    html = client.get("/failed").data
    remove = [f for f in button_posts(html) if "remove" in f]
    assert len(remove) == 3
    first = failures(r)[0]
    form = {"action": "retry", "index": first.position, "digest": first.digest}
    response = client.post("/failed", data=form)
    assert response.status_code == 303
    assert r.llen("resque:queue:deep") == 2  # nothing pushed: Ruby could not read it
    assert any("left as is" in m for m in flashes(client))
    # Retry all: the deep ones are left, nothing fails.
    assert client.post("/failed", data={"action": "retry_all"}).status_code == 303
    for form in remove:
        response = client.post(form.pop("_action"), data=form)
        assert response.status_code == 303
    assert r.llen(KEY) == 0


def test_edit_and_retry_refuses_what_ruby_cannot_read_with_400(
    client: FlaskClient, r: redis.Redis, deep: None
) -> None:
    unreadable = failures(r)[0]
    page = client.get(f"/failed/edit?index={unreadable.position}&digest={unreadable.digest}")
    assert page.status_code == 200 and "deeper than 100 levels" in text(page.data)
    r.rpush(KEY, json.dumps(record(queue="deep")))
    failure = failures(r)[-1]
    form = {"index": failure.position, "digest": failure.digest}
    for args, says in [
        ("[" * 5000 + "]" * 5000, "deeper than 98 levels"),
        (json.dumps([nested(98)]), "deeper than 98 levels"),  # 2 + 99 levels in the record
        ("[NaN]", "not valid JSON"),  # Ruby's JSON.parse reads no NaN
        ("[1, 2", "not valid JSON"),
    ]:
        response = client.post("/failed/edit", data={**form, "args": args})
        assert response.status_code == 400, args[:20]
        assert says in text(response.data)
    assert r.lindex(KEY, failure.position) == failure.raw
    ok = client.post("/failed/edit", data={**form, "args": json.dumps([nested(97)])})
    assert ok.status_code == 303
    assert json.loads(r.lindex("resque:queue:deep", -1))["args"] == [nested(97)]
    assert FailedJob(0, r.lindex(KEY, failure.position)).parse_error is None  # Ruby reads it


# 4. Failure actions reach only failure lists -----------------------------------------------
def test_only_listed_failure_lists_can_be_acted_on(client: FlaskClient, r: redis.Redis) -> None:
    job = json.dumps({"class": "Archive", "args": [1]})
    r.sadd("resque:queues", "x_failed")
    r.rpush("resque:queue:x_failed", job)  # a pending queue that happens to end in _failed
    r.rpush("resque:web:audit_failed", job)  # a key of the dashboard's own space
    r.sadd("resque:failed_queues", "real_failed")
    r.rpush("resque:real_failed", json.dumps(record(queue="real")))
    for name in ("queue:x", "web:audit"):
        for url in (f"/failed/{name}", f"/api/v1/failed/{name}", f"/api/v1/failed?list={name}"):
            assert client.get(url).status_code == 404, url
        for url in (
            f"/failed/export.csv?list={name}",
            f"/failed/export.ndjson?list={name}",
            f"/failed/groups?list={name}",
            f"/api/v1/failed/groups?list={name}",
            f"/failed/bulk?action=remove&list={name}",
        ):
            assert client.get(url).status_code == 404, url
        for action in ("clear", "retry_all", "clear_retried", "remove_selected"):
            form = {"action": action, "row": f"0:{'0' * 40}"}
            assert client.post(f"/failed/{name}", data=form).status_code == 404
        form = {"action": "remove", "list": name}
        assert client.post("/failed/bulk", data=form).status_code == 404
        form = {"index": "0", "digest": "0" * 40, "list": name, "args": "[]"}
        assert client.post("/failed/edit", data=form).status_code == 404
    assert r.lrange("resque:queue:x_failed", 0, -1) == [job]
    assert r.lrange("resque:web:audit_failed", 0, -1) == [job]
    # A real per-queue list still works.
    assert client.get("/failed/real").status_code == 200
    assert client.post("/failed/real", data={"action": "clear"}).status_code == 303
    assert r.llen("resque:real_failed") == 0


# 5. The audit log's "who" ------------------------------------------------------------------
def basic(user: str, password: str) -> dict[str, str]:
    import base64

    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def last_user(client: FlaskClient, headers: dict[str, str] | None = None) -> str | None:
    items = client.get("/api/v1/audit", headers=headers or {}).get_json()["items"]
    return items[0]["user"]


def test_an_unverified_authorization_header_names_nobody(
    client: FlaskClient, r: redis.Redis
) -> None:
    r.sadd("resque:queues", "default")
    client.post("/queues/default", data={"action": "clear"}, headers=basic("ceo", "x"))
    assert last_user(client) is None
    client.post(
        "/queues/default",
        data={"action": "clear"},
        headers=basic("ceo", "x"),
        environ_base={"REMOTE_USER": "alice"},
    )
    assert last_user(client) == "alice"


def test_the_dashboards_own_basic_user_is_recorded(redis_url: str, r: redis.Redis) -> None:
    from resque_web.web import create_app

    app = create_app({"TESTING": True, "REDIS_URL": redis_url, "RESQUE_WEB_AUTH": "ops:s3cret"})
    client = app.test_client()
    r.sadd("resque:queues", "default")
    assert client.post("/queues/default", data={"action": "clear"}).status_code == 401
    response = client.post(
        "/queues/default", data={"action": "clear"}, headers=basic("ops", "s3cret")
    )
    assert response.status_code == 303
    assert last_user(client, basic("ops", "s3cret")) == "ops"


# 9. Flash messages stay small ----------------------------------------------------------------
def cookie_bytes(response: Any) -> int:
    return max((len(v) for v in response.headers.getlist("Set-Cookie")), default=0)


@pytest.mark.parametrize("char", ["x", "\u961f", "\U0001f600"])
def test_flashes_keep_the_session_cookie_small(
    client: FlaskClient, r: redis.Redis, char: str
) -> None:
    import random

    rng = random.Random(7)
    # Names that compress badly: random characters around the one under test.
    name = "".join(rng.choice([char, chr(rng.randrange(0x4E00, 0x9FFF))]) for _ in range(20_000))
    r.sadd("resque:queues", name)
    r.rpush(KEY, json.dumps(record(payload={"class": name, "args": []}, queue=name)))
    sizes = []
    for _ in range(5):  # actions whose flashes nobody reads: they pile up in the cookie
        response = client.post("/failed", data={"action": "retry", **ref(r, -1)})
        sizes.append(cookie_bytes(response))
        response = client.post("/queues/" + quote(name), data={"action": "clear"})
        sizes.append(cookie_bytes(response))
    assert max(sizes) < 4096, sizes
    shown = flashes(client)
    assert shown and all(len(m) < 600 for m in shown)


def ref(r: redis.Redis, index: int) -> dict[str, Any]:
    failure = failures(r)[index]
    return {"index": failure.position, "digest": failure.digest}


# 3. Host header check (DNS rebinding) ------------------------------------------------------
REBOUND = {"Host": "evil.example:5678", "Origin": "http://evil.example:5678"}


def test_a_foreign_host_is_refused_before_anything_else(
    client: FlaskClient, r: redis.Redis
) -> None:
    r.sadd("resque:queues", "default")
    r.rpush("resque:queue:default", "job")
    response = client.post("/queues/default", data={"action": "clear"}, headers=REBOUND)
    assert response.status_code == 400
    page = parse(response.data).text()
    assert "Unknown host" in page and "RESQUE_WEB_ALLOWED_HOSTS" in page
    assert r.llen("resque:queue:default") == 1
    for url in ("/", "/overview", "/static/css/resque-web.css", "/no/such/page"):
        assert client.get(url, headers=REBOUND).status_code == 400, url
    api = client.get("/api/v1/stats", headers=REBOUND)
    assert api.status_code == 400 and api.get_json()["error"] == "Unknown host"
    for host in ("localhost", "localhost:5678", "127.0.0.1:80", "[::1]:5678", "LOCALHOST."):
        assert client.get("/overview", headers={"Host": host}).status_code == 200, host


def test_allowed_hosts_setting_and_defaults(redis_url: str) -> None:
    from resque_web.web import create_app, make_blueprint

    def status(config: dict[str, Any], host: str) -> int:
        app = create_app({"TESTING": True, "REDIS_URL": redis_url, **config})
        return app.test_client().get("/api/v1/stats", headers={"Host": host}).status_code

    names = {"RESQUE_WEB_ALLOWED_HOSTS": "dash.example, .corp.example"}
    assert status(names, "dash.example:443") == 200
    assert status(names, "a.corp.example") == 200 and status(names, "corp.example") == 200
    assert status(names, "localhost") == 400  # names given: only those (and IP loopback)
    assert status(names, "127.0.0.1:5678") == 200
    assert status(names, "evilcorp.example") == 400
    assert status({"RESQUE_WEB_ALLOWED_HOSTS": "*"}, "evil.example") == 200
    # A password: any name by default (the credentials do not follow a rebinding page) ...
    auth = {"RESQUE_WEB_AUTH": "ops:pw"}
    assert status(auth, "evil.example") == 401
    # ... and the Host is still checked first when names are set.
    assert status({**auth, **names}, "evil.example") == 400
    # Embedded: the host app's concern unless the blueprint is told.
    for allowed, code in ((None, 200), (["dash.example"], 400)):
        app = Flask(__name__)
        app.register_blueprint(
            make_blueprint(redis_url=redis_url, allowed_hosts=allowed), url_prefix="/resque"
        )
        response = app.test_client().get("/resque/overview", headers={"Host": "evil.example"})
        assert response.status_code == code


# 8. GET never advances anything ----------------------------------------------------------
def run_attr(client: FlaskClient, op_id: str) -> str:
    page = parse(client.get(f"/failed/bulk/{op_id}").data)
    return page.find("div", "bulk-op").attrs["data-run"]


def test_a_bulk_page_runs_only_after_the_users_own_post(
    client: FlaskClient, app: Flask, ruby_data: redis.Redis
) -> None:
    response = client.post("/failed/bulk", data={"action": "retry", "exception": "KeyError"})
    op_id = response.headers["Location"].rsplit("/", 1)[-1]
    assert run_attr(client, op_id) == "1"  # right after Start: the page runs it
    assert run_attr(client, op_id) == "0"  # opened again: it does not
    assert run_attr(app.test_client(), op_id) == "0"  # another session (a forged link)
    state = client.get(f"/api/v1/failed/bulk/{op_id}").get_json()
    assert (state["status"], state["done"], state["scanned"]) == ("pending", 0, 0)
    # Continue (a form POST, not the page's script) runs a step and lets the page go on.
    client.post(f"/failed/bulk/{op_id}/step")
    state = client.get(f"/api/v1/failed/bulk/{op_id}").get_json()
    assert state["scanned"] > 0
    assert run_attr(client, op_id) == ("0" if state["finished"] else "1")


def test_no_get_changes_redis(client: FlaskClient, ruby_data: redis.Redis, redis_url: str) -> None:
    from tests.support.snapshot import changed, snapshot

    response = client.post("/failed/bulk", data={"action": "remove", "exception": "KeyError"})
    op_id = response.headers["Location"].rsplit("/", 1)[-1]
    client.post("/failed", data={"action": "clear_retried"})  # an audit entry to list
    audit_id = client.get("/api/v1/audit").get_json()["items"][0]["id"]
    first = failures(ruby_data)[0]
    subjects = Subjects(
        queues=["default", "failing"],
        workers=sorted(ruby_data.smembers("resque:workers"))[:3],
        keys=["failed", "queues", "queue:default"],
        ids=[op_id, audit_id],
    )
    extra = {
        "failed_bulk": ["action=retry&exception=KeyError", "action=remove"],
        "failed_edit": [f"index={first.position}&digest={first.digest}"],
        "failed": ["q=x", "action=clear", "action=retry_all"],
    }
    urls = get_urls(client.application, subjects, extra_args=extra)
    before = snapshot(redis_url)
    for url in urls:
        client.get(url).get_data()
    assert changed(before, snapshot(redis_url)) == []
    assert client.get(f"/api/v1/failed/bulk/{op_id}").get_json()["status"] == "pending"


# 7. Every request's work bounded -------------------------------------------------------------
def bytes_sent(r: redis.Redis) -> int:
    return int(r.info("stats")["total_net_output_bytes"])


def test_request_bodies_and_selections_are_bounded(client: FlaskClient, r: redis.Redis) -> None:
    error = "e" * 1000  # records of ~1 KB, as a backtrace makes them
    r.rpush(KEY, *[json.dumps(record(error=f"{error}{i}")) for i in range(5000)])
    huge = client.post("/failed", data={"action": "retry_all", "pad": "x" * (3 * 1024 * 1024)})
    assert huge.status_code == 413 and "Request too large" in text(huge.data)
    too_many = [f"{i}:{'0' * 40}" for i in range(201)]
    response = client.post("/failed", data={"action": "remove_selected", "row": too_many})
    assert response.status_code == 413 and "at most 200" in text(response.data)
    assert r.llen(KEY) == 5000
    # 200 bogus rows spread over the list: each is looked for near its old place, but the
    # records read are bounded for the whole request (was: a 1,000-record window per row).
    bogus = [f"{i * 25}:{'0' * 40}" for i in range(200)]
    client.get("/api/v1/failed/groups")  # the failure index has read the list: quiet now
    before = bytes_sent(r)
    response = client.post("/failed", data={"action": "remove_selected", "row": bogus})
    read = bytes_sent(r) - before
    assert response.status_code == 303 and r.llen(KEY) == 5000
    assert read < 4_000_000, read  # ~2,000 records at most; unbounded it was ~140 MB
    # A real row that moved is still found (its old place now holds another record).
    target = failures(r)[4000]
    r.lpop(KEY)
    form = {"action": "remove_selected", "row": [f"{target.position}:{target.digest}", *bogus[1:]]}
    assert client.post("/failed", data=form).status_code == 303
    assert r.llen(KEY) == 4998 and target.raw not in r.lrange(KEY, 3990, 4000)


def test_the_summary_reads_queues_in_chunks(
    client: FlaskClient, r: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    from resque_web.model import scripts

    monkeypatch.setattr(scripts, "SET_CHUNK_SIZE", 200)
    monkeypatch.setattr("resque_web.model.stats.SET_CHUNK_SIZE", 200)
    names = [f"q{i:05d}" for i in range(2500)]
    r.sadd("resque:queues", *names)
    pipe = r.pipeline()
    for name in names[::2]:
        pipe.rpush(f"resque:queue:{name}", "job")
    pipe.execute()
    r.config_resetstat()
    stats = client.get("/api/v1/stats").get_json()
    assert (stats["queues"], stats["pending"]) == (2500, 1250)
    # One SSCAN of about 200 names per script call (each reads those queues' lengths),
    # never one script over all 2,500.
    assert r.info("commandstats")["cmdstat_sscan"]["calls"] >= 10
    lines = client.get("/stats.txt").get_data(as_text=True).splitlines()
    assert lines[5:] == [f"queues.{n}={1 - i % 2}" for i, n in enumerate(names)]
    page = client.get("/api/v1/queues?page=25&per_page=100").get_json()
    assert [q["name"] for q in page["queues"]] == names[2400:]


def test_concurrent_text_searches_are_bounded(
    client: FlaskClient, r: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    from resque_web.model.failures import search as model

    r.rpush(KEY, *[json.dumps(record(error=f"needle {i}")) for i in range(3000)])
    assert client.get("/api/v1/failed").status_code == 200  # the index is ready
    client.get("/api/v1/failed/groups")
    monkeypatch.setattr(model, "BUSY_BUDGET", 0.0)
    held = [model._SEARCH_SLOTS.acquire(blocking=False) for _ in range(model.MAX_SEARCHES)]
    try:
        assert all(held)
        busy = client.get("/api/v1/failed?q=needle").get_json()
        assert busy["busy"] and not busy["complete"] and busy["total"] < 3000
        assert "busy with other searches" in text(client.get("/failed?q=needle+1").data)
    finally:
        for _ in held:
            model._SEARCH_SLOTS.release()
    done = client.get("/api/v1/failed?q=needle").get_json()  # not remembered: searched again
    assert not done["busy"] and done["complete"] and done["total"] == 3000


# 6. Bytes that are not UTF-8 -----------------------------------------------------------------
@pytest.fixture
def raw_redis(redis_url: str) -> Any:
    client = redis.Redis.from_url(redis_url)  # bytes in, bytes out
    yield client
    client.close()


def test_a_failure_that_is_not_utf8_is_retried_and_removed(
    client: FlaskClient, raw_redis: redis.Redis
) -> None:
    bad = (
        json.dumps(record(error="caf\u00e9 X", queue="default")).encode().replace(b"X", b"\xff\xfe")
    )
    good = json.dumps(record(error="fine", queue="default")).encode()
    raw_redis.rpush(KEY, bad, good, bad.replace(b"boom", b"b00m"))
    html = client.get("/failed").data
    assert b"\\xFF\\xFE" in html  # shown, spelled out
    # Retry all: every record's identity checks out in Lua (SHA-1 of the stored bytes).
    response = client.post("/failed", data={"action": "retry_all"})
    assert response.status_code == 303
    stored = raw_redis.lrange(KEY, 0, -1)
    assert all(b'"retried_at"' in item for item in stored)
    assert stored[0].count(b"\xff\xfe") == 1  # the bytes are kept as they were
    assert raw_redis.llen("resque:queue:default") == 3
    # Remove one by the digest its row carries.
    form = next(f for f in button_posts(client.get("/failed").data) if "remove" in f)
    assert client.post(form.pop("_action"), data=form).status_code == 303
    assert raw_redis.llen(KEY) == 2


QUEUES = [b"a\xff", b"a\xfe", "a\ufffd".encode(), b"a\xef\xbf"]


def fetch(client: FlaskClient, href: str, method: str = "GET", **kwargs: Any) -> Any:
    """``href`` as a WSGI server hands it over: PATH_INFO holds the URL's bytes (as
    latin-1). Werkzeug's test client would decode them as UTF-8 with replacement first."""
    path = unquote_to_bytes(href.partition("?")[0]).decode("latin-1")
    return client.open(href, method=method, environ_overrides={"PATH_INFO": path}, **kwargs)


def test_queues_whose_names_are_not_utf8_are_never_confused(
    client: FlaskClient, raw_redis: redis.Redis
) -> None:
    for i, name in enumerate(QUEUES):
        raw_redis.sadd("resque:queues", name)
        raw_redis.rpush(b"resque:queue:" + name, json.dumps({"class": f"Job{i}", "args": []}))
    hrefs = sorted({h for h in links(client.get("/queues").data) if h.startswith("/queues/a")})
    assert hrefs == sorted("/queues/" + quote(name, safe="") for name in QUEUES)
    # Each link shows its own queue's job, and its actions reach that queue only.
    for i, name in enumerate(QUEUES):
        href = "/queues/" + quote(name, safe="")
        page = fetch(client, href)
        assert page.status_code == 200 and f"Job{i}" in text(page.data), href
        api = fetch(client, "/api/v1/queues/" + quote(name, safe="")).get_json()
        assert [item["class"] for item in api["items"]] == [f"Job{i}"]
    victim = "/queues/" + quote(QUEUES[0], safe="")
    form = next(f for f in forms(fetch(client, victim).data) if f.get("action") == "delete_job")
    assert fetch(client, form.pop("_action"), "POST", data=form).status_code == 303
    assert [raw_redis.llen(b"resque:queue:" + n) for n in QUEUES] == [0, 1, 1, 1]
    clear = fetch(client, "/queues/" + quote(QUEUES[1], safe=""), "POST", data={"action": "clear"})
    assert clear.status_code == 303
    assert unquote_to_bytes(clear.headers["Location"]) == b"/queues/" + QUEUES[1]
    assert [raw_redis.llen(b"resque:queue:" + n) for n in QUEUES] == [0, 0, 1, 1]
    stats = client.get("/stats.txt").data
    assert b"queues.a\xef\xbf\xbd=1" in stats and b"queues.a\xef\xbf=1" in stats
    assert client.get("/api/v1/stats").get_json()["queues"] == 4
