"""Every page shows exactly the figures of the Ruby fixture (shared/fixtures/README.md)."""

from __future__ import annotations

import pytest
import redis
from flask.testing import FlaskClient

from resque_web.job import Job
from tests.support.dump import dump_keys

from .html import links, parse, table_rows, text

QUEUE_SIZES = {
    "critical": "204",
    "default": "704",
    "empty-after-drain": "0",
    "images.resize": "303",
    "long-running": "0",
    "low.priority-batch": "205",
    "mailers": "303",
    "reports-nightly": "204",
    "ünïcode-队列": "101",
}
MQ_QUEUES = {
    "critical": ("1", "4"),
    "default": ("5", "3"),
    "images.resize": ("0", "0"),
    "mailers": ("0", "0"),
    "reports-nightly": ("0", "3"),
    "ünïcode-队列": ("1", "3"),
}
BUSY = {
    "vm:11544:long-running,critical",
    "worker-01.prod.example.com:10000:critical,default",
    "worker-02.prod.example.com:10021:*",
}


@pytest.fixture(autouse=True)
def _data(ruby_data: redis.Redis) -> None:
    """Every test here reads the Ruby fixture."""


def get(client: FlaskClient, url: str, status: int = 200) -> bytes:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.data[:500])
    return response.data


def test_root_redirects_to_overview(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/overview"


def test_overview_queues_and_failed(client: FlaskClient) -> None:
    html = get(client, "/overview")
    rows = table_rows(html, "queues")
    assert {r[0]: r[1] for r in rows[:-1]} == QUEUE_SIZES
    assert [r[0] for r in rows[:-1]] == sorted(QUEUE_SIZES)
    assert rows[-1] == ["failed", "120"]  # no Pause column in the preview (3 round trips)


def test_overview_and_working_show_who_works(client: FlaskClient) -> None:
    for url in ("/overview", "/working"):
        html = get(client, url)
        assert "3 of 9 Workers Working" in text(html)
        rows = table_rows(html, "working")
        assert len(rows) == 3
        assert sorted(r[3] for r in rows) == ["Archive", "Archive", "LongJob"]
        assert {r[2] for r in rows} == {"default", "long-running"}
        assert '[1000, "tar"]' in [r[4] for r in rows]


def test_overview_multi_queue(mq_client: FlaskClient) -> None:
    html = get(mq_client, "/overview")
    rows = table_rows(html, "queues")
    assert {r[0]: (r[1], r[2]) for r in rows} == MQ_QUEUES
    assert "0 of 0 Workers Working" in text(html)
    assert "/failed/critical" in links(html)


def test_queues_page(client: FlaskClient) -> None:
    html = get(client, "/queues")
    assert "9 registered queues holding 2,024 jobs" in text(html)
    rows = table_rows(html, "queues")
    assert {r[0]: r[1] for r in rows[:-1]} == QUEUE_SIZES


def test_queue_page_first_page_oldest_first(client: FlaskClient, r: redis.Redis) -> None:
    html = get(client, "/queues/default")
    page_text = text(html)
    assert "Showing jobs 1 to 20 of 704 jobs." in page_text
    rows = table_rows(html, "jobs")
    assert len(rows) == 20
    assert rows[0][0] == "1"
    first = Job.from_raw("default", r.lindex("resque:queue:default", 0) or "")
    assert rows[0][1].startswith(first.display_class)
    assert first.display_class == "ExplodingJob"  # an ActiveJob wrapper, shown unwrapped


def test_queue_page_paging_is_windowed(client: FlaskClient) -> None:
    html = get(client, "/queues/default?page=18")
    nav = parse(html).find("nav", "pagination")
    pages = [a.text() for a in nav.find("ul", "pages").iter("a")]
    # 36 pages of 20: first, last and two either side of 18, never one link per page.
    assert pages == ["\u2039 Prev", "1", "16", "17", "19", "20", "36", "Next \u203a"]
    assert "341\u2013360 of 704" in nav.text()
    assert nav.find("input", name="page").attrs["max"] == "36"


def test_queue_page_size_and_order(client: FlaskClient, r: redis.Redis) -> None:
    html = get(client, "/queues/default?per_page=100&order=newest")
    rows = table_rows(html, "jobs")
    assert len(rows) == 100
    assert rows[0][0] == "704"  # the newest job is the last in the list
    html = get(client, "/queues/default?per_page=50&page=15")
    rows = table_rows(html, "jobs")
    assert [rows[0][0], rows[-1][0]] == ["701", "704"]


def test_queue_page_past_the_end_shows_the_last_page(client: FlaskClient) -> None:
    html = get(client, "/queues/critical?page=999")
    assert "Showing jobs 201 to 204 of 204 jobs." in text(html)


def test_long_args_are_truncated_with_details(client: FlaskClient, r: redis.Redis) -> None:
    r.rpush("resque:queue:default", '{"class":"Big","args":["' + "x" * 500 + '"]}')
    html = get(client, "/queues/default?page=36")
    details = parse(html).find("details", "args")
    assert details.find("summary").text().endswith("…")
    assert "x" * 500 in details.find("pre").text()


def test_empty_registered_queue(client: FlaskClient) -> None:
    html = get(client, "/queues/empty-after-drain")
    assert "There are no pending jobs in this queue." in text(html)


def test_workers_grouped_by_host(client: FlaskClient) -> None:
    html = get(client, "/workers")
    rows = table_rows(html, "hosts")
    assert rows == [
        ["gone-host.example.com", "1"],
        ["old-box-7.example.com", "1"],
        ["vm", "1"],
        ["worker-01.prod.example.com", "3"],
        ["worker-02.prod.example.com", "3"],
    ]


def test_all_workers(client: FlaskClient) -> None:
    html = get(client, "/workers/all")
    assert parse(html).find("h1").text() == "9 Workers"
    rows = {r[1]: r for r in table_rows(html, "workers")}
    assert len(rows) == 9
    assert rows["worker-01.prod.example.com:10000"][3:5] == ["4,823", "14"]
    assert rows["worker-01.prod.example.com:10028"][3:5] == ["4,830", "24"]
    assert rows["worker-02.prod.example.com:10021"][3:5] == ["457", "0"]
    assert rows["old-box-7.example.com:31337"][6] == "none"  # no heartbeat at all
    assert rows["old-box-7.example.com:31337"][0] == "stale"


def test_stale_banner_says_what_resque_will_do_to_each_kind(
    client: FlaskClient, ruby_data: redis.Redis
) -> None:
    """Ruby's prune_dead_workers unregisters a worker whose heartbeat expired, whoever
    starts next; one that never beat only goes when a same-host worker with its queues (or
    *) starts and its pid is gone; an unreadable heartbeat makes the pruning Ruby worker
    fail to start (checked by hand: "Failed to start worker : #<ArgumentError: no time
    information in "garbage">", the worker stays)."""
    ruby_data.hset("resque:workers:heartbeat", "vm:11544:long-running,critical", "garbage")
    page = get(client, "/workers/all")
    notes = {li.attrs["data-stale-kind"]: li.text() for li in parse(page).find_all("li")
             if "data-stale-kind" in li.attrs}  # fmt: skip
    assert set(notes) == {"expired", "never", "unreadable"}
    # The fixture's heartbeats are from its capture day: by Redis' clock most have expired.
    assert " with a heartbeat older than 5 min: The next worker to start" in notes["expired"]
    assert "on any host, whatever its queues" in notes["expired"]
    assert "PruneDeadWorkerDirtyExit" in notes["expired"]
    assert notes["never"].startswith("1 that never sent a heartbeat: Resque never prunes")
    assert (
        "only a worker starting on the same host with the same queues or * removes one, "
        "and only when its process is gone" in notes["never"]
    )
    assert notes["unreadable"].startswith("1 with a heartbeat Resque cannot read:")
    assert "fails to start (ArgumentError from Time.parse)" in notes["unreadable"]
    assert "prunes them the next time a worker starts" not in text(page)
    never = parse(get(client, "/workers/old-box-7.example.com:31337:mailers,default"))
    note = never.find("p", "notice").text()
    assert note.startswith("This worker looks dead: no heartbeat. Resque never prunes")
    assert "starting on old-box-7.example.com with the same queues (mailers,default) or *" in note
    assert "Otherwise it stays listed" in note
    expired = parse(get(client, "/workers/gone-host.example.com:4242:critical")).find("p", "notice")
    assert expired.attrs["data-stale-kind"] == "expired"
    assert "unregisters it, recording a job it holds" in expired.text()


def test_worker_page(client: FlaskClient) -> None:
    html = get(client, "/workers/worker-01.prod.example.com:10000:critical,default")
    details = dict((r[0], r[1]) for r in table_rows(html, "details"))
    assert details["Host"] == "worker-01.prod.example.com"
    assert details["Pid"] == "10000"
    assert details["Queues"] == "critical, default"
    assert details["Processed"] == "4,823"
    assert details["Failed"] == "14"
    assert details["Processing"].startswith('Archive [1000, "tar"] on default')


def test_worker_without_heartbeat_is_flagged(client: FlaskClient) -> None:
    html = get(client, "/workers/old-box-7.example.com:31337:mailers,default")
    assert "This worker looks dead: no heartbeat." in text(html)


def test_host_page(client: FlaskClient) -> None:
    html = get(client, "/workers/worker-02.prod.example.com")
    assert parse(html).find("h1").text() == "Workers on worker-02.prod.example.com"
    assert len(table_rows(html, "workers")) == 3


def test_worker_id_with_star(client: FlaskClient) -> None:
    html = get(client, "/workers/worker-02.prod.example.com:10021:*")
    assert "Worker worker-02.prod.example.com:10021:*" in text(html)


def test_working_job_page(client: FlaskClient) -> None:
    html = get(client, "/working/vm:11544:long-running,critical")
    details = dict((r[0], r[1]) for r in table_rows(html, "details"))
    assert details["Class"] == "LongJob"
    assert details["Queue"] == "long-running"
    assert '"frozen mid-job (worker SIGKILLed)"' in details["Arguments"]


def test_failed_page(client: FlaskClient) -> None:
    html = get(client, "/failed")
    assert "120 failed jobs." in text(html)
    rows = table_rows(html, "failures")
    assert len(rows) == 20
    assert rows[0][0].endswith("#120")  # newest first
    retried = parse(html).find_all("tr", "retried")
    assert retried  # retried failures are marked
    assert "2 3 … 6" in parse(html).find("nav", "pagination").text()


def test_failed_counts_retried(client: FlaskClient) -> None:
    html = get(client, "/failed?per_page=100")
    html2 = get(client, "/failed?per_page=100&page=2")
    marked = len(parse(html).find_all("tr", "retried")) + len(
        parse(html2).find_all("tr", "retried")
    )
    assert marked == 24


def test_failed_oldest_first(client: FlaskClient) -> None:
    rows = table_rows(get(client, "/failed?order=oldest"), "failures")
    assert rows[0][0].endswith("#1")


def test_failed_filter_dropdowns_and_links(client: FlaskClient) -> None:
    html = get(client, "/failed")
    doc = parse(html)
    options = [o.attrs["value"] for o in doc.find("select", name="class").iter("option")]
    assert len(options) == 15  # "All classes" and the 14 job classes
    assert "Ghost::MissingJob" in options
    exceptions = [o.text() for o in doc.find("select", name="exception").iter("option")]
    assert any(e.startswith("Resque::DirtyExit") for e in exceptions)
    assert any("class=" in href for href in links(html))


def test_failed_filter_by_class_and_exception(client: FlaskClient) -> None:
    html = get(client, "/failed?class=Ghost::MissingJob")
    count = int(parse(html).find("b", "total").text())
    assert count > 0
    rows = table_rows(html, "failures")
    assert all(r[2].startswith("Ghost::MissingJob") for r in rows)
    html = get(client, "/failed?exception=Resque::DirtyExit")
    rows = table_rows(html, "failures")
    assert rows and all(r[3].startswith("Resque::DirtyExit") for r in rows)


def test_failure_shows_everything(client: FlaskClient) -> None:
    html = get(client, "/failed?per_page=100")
    doc = parse(html)
    backtraces = doc.find_all("details", "backtrace")
    assert backtraces
    row = doc.find_all("tr", "failure")[0]
    assert row.find("div", "worker-id").text()
    assert row.find("time").attrs["title"].endswith("UTC")


def test_failed_html_in_messages_is_escaped(client: FlaskClient) -> None:
    body = b"".join(get(client, f"/failed?per_page=100&page={n}") for n in (1, 2))
    assert b"<script" not in body.replace(b'<script src="', b"")


def test_multi_queue_failed_lists(mq_client: FlaskClient) -> None:
    html = get(mq_client, "/failed")
    rows = table_rows(html, "failure-lists")
    assert [r[:3] for r in rows] == [
        ["critical_failed", "critical", "4"],
        ["default_failed", "default", "3"],
        ["reports-nightly_failed", "reports-nightly", "3"],
        ["ünïcode-队列_failed", "ünïcode-队列", "3"],
    ]
    assert not parse(html).find_all("table", "failures")


def test_multi_queue_failed_queue_page(mq_client: FlaskClient) -> None:
    html = get(mq_client, "/failed/ünïcode-队列")
    assert "3 failed jobs." in text(html)
    assert len(table_rows(html, "failures")) == 3
    assert parse(html).find("h1").text() == "Failed jobs on ünïcode-队列"


def test_stats_resque(client: FlaskClient, mq_client: FlaskClient) -> None:
    rows = dict(table_rows(get(client, "/stats/resque"), "stats"))  # type: ignore[arg-type]
    # Ruby's resque-web shows `failed` 120 (LLEN failed) on this fixture; stat:failed is 112.
    assert rows == {
        "failed": "120",
        "failed (counter)": "112",
        "pending": "2,024",
        "processed": "275",
        "queues": "9",
        "workers": "9",
        "working": "3",
    }
    cells = parse(get(client, "/stats/resque")).find_all("td")
    fields = {c.attrs["data-stat"]: c.text() for c in cells}  # the API's field names
    assert (fields["failed_listed"], fields["failed"]) == ("120", "112")
    # Ruby shows `failed` 0 here: it counts only the `failed` list, not <queue>_failed.
    rows = dict(table_rows(get(mq_client, "/stats/resque"), "stats"))  # type: ignore[arg-type]
    assert (rows["failed"], rows["failed (counter)"], rows["pending"]) == ("13", "12", "7")
    assert (rows["processed"], rows["workers"], rows["queues"]) == ("19", "0", "6")


def test_stats_redis(client: FlaskClient) -> None:
    rows = dict(table_rows(get(client, "/stats/redis"), "redis-info"))  # type: ignore[arg-type]
    assert "redis_version" in rows
    assert "uptime_in_seconds" in rows


def test_stats_keys_scan_with_cursor(client: FlaskClient) -> None:
    """Follow the "next batch" links (each carries the SCAN cursor) to the end."""
    url: str | None = "/stats/keys"
    seen: list[str] = []
    while url:
        html = get(client, url)
        seen += [r[0] for r in table_rows(html, "keys")]
        found = parse(html).find_all("a", rel="next")
        url = found[0].attrs["href"] if found else None
        assert url is None or "cursor=" in url
    assert all(not n.startswith("resque:") for n in seen)
    every = {k[len("resque:") :] for k in dump_keys() if k.startswith("resque:")}
    assert set(seen) == every


def test_stats_key_pages(client: FlaskClient) -> None:
    html = get(client, "/stats/keys/queue:default")
    assert "list · size 704 · no expiry" in text(html)
    assert len(table_rows(html, "key-rows")) == 50
    html = get(client, "/stats/keys/queues")
    assert len(table_rows(html, "key-rows")) == 9
    html = get(client, "/stats/keys/stat:processed")
    assert parse(html).find("pre", "value").text() == "275"
    html = get(client, "/stats/keys/workers:heartbeat")
    assert len(table_rows(html, "key-rows")) == 8


def test_stats_txt(client: FlaskClient) -> None:
    """Real resque-web 3.0 on this fixture prints exactly these lines (failed+= is the
    failures kept, 120, not Resque's counter, 112), in SMEMBERS order; ours are sorted."""
    response = client.get("/stats.txt")
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "\n".join(
        [
            "resque.pending=2024",
            "resque.processed+=275",
            "resque.failed+=120",
            "resque.workers=9",
            "resque.working=3",
            "queues.critical=204",
            "queues.default=704",
            "queues.empty-after-drain=0",
            "queues.images.resize=303",
            "queues.long-running=0",
            "queues.low.priority-batch=205",
            "queues.mailers=303",
            "queues.reports-nightly=204",
            "queues.ünïcode-队列=101",
        ]
    )


def test_footer_and_namespace_badge(
    client: FlaskClient, mq_client: FlaskClient, redis_url: str
) -> None:
    html = get(client, "/overview")
    footer = parse(html).find("footer").text()
    assert redis_url in footer and "namespace resque" in footer
    assert not parse(html).find_all("span", "namespace")
    html = get(mq_client, "/overview")
    assert parse(html).find("span", "namespace").text() == "resque_mq"


def test_tabs_mark_the_current_one(client: FlaskClient) -> None:
    nav = parse(get(client, "/workers/all")).find("nav", "tabs")
    titles = [a.text() for a in nav.iter("a")]
    assert titles == ["Overview", "Working", "Failed", "Queues", "Workers", "Stats", "Audit"]
    assert nav.find("li", "current").text() == "Workers"
    nav = parse(get(client, "/working")).find("nav", "tabs")
    assert nav.find("li", "current").text() == "Working"


def test_overview_summary(client: FlaskClient, mq_client: FlaskClient) -> None:
    def summary(c: FlaskClient) -> dict[str, str]:
        strip = parse(get(c, "/overview")).find("dl", "summary")
        return {d.find("dt").text(): d.find("dd").text() for d in strip.find_all("div")}

    assert summary(client) == {
        "Pending": "2,024",
        "Queues": "9",
        "Failed": "120",  # failures kept; Resque's counter (112) is on /stats/resque
        "Processed": "275",
        "Workers": "9",
        "Working": "3",
    }
    assert summary(mq_client)["Failed"] == "13"
