"""Hand-edited and forged request values: out-of-range, negative or non-numeric ``page``,
``per_page``, ``cursor``, failure index and digest are clamped or answered with a readable
400 page, never a Redis error; unknown queues, workers and keys are 404s with a way back."""

from __future__ import annotations

import pytest
import redis
from flask.testing import FlaskClient

from resque_web.failure import digest

from .html import parse, text

HUGE = "9" * 30


@pytest.fixture(autouse=True)
def _data(ruby_data: redis.Redis) -> None:
    """Every test here reads the Ruby fixture."""


@pytest.mark.parametrize(
    "page", ["-5", "0", "abc", "1.5", "", HUGE, str(2**63), "9223372036854775807"]
)
@pytest.mark.parametrize(
    ("url", "order"),
    [
        ("/queues/default", "oldest"),
        ("/queues/default", "newest"),
        ("/failed", "newest"),
        ("/failed", "oldest"),
        ("/api/v1/queues/default", "newest"),
        ("/api/v1/failed", "oldest"),
        ("/stats/keys/queue:default", ""),
        ("/workers/all", ""),
        ("/working", ""),
        ("/queues", ""),
    ],
)
def test_any_page_number_shows_a_real_page(
    client: FlaskClient, url: str, order: str, page: str
) -> None:
    response = client.get(url, query_string={"page": page, "order": order, "per_page": page})
    assert response.status_code == 200, response.data[:300]
    if "/api/" in url:
        body = response.get_json()
        assert 1 <= body["page"] <= body["pages"]
        assert body["items"]


def test_a_page_past_the_end_shows_the_last_one(client: FlaskClient) -> None:
    last = client.get("/api/v1/queues/default", query_string={"page": HUGE}).get_json()
    assert last["page"] == last["pages"] == 36  # 704 jobs, 20 a page
    html = text(client.get("/queues/default", query_string={"page": HUGE}).data)
    assert "701\u2013704 of 704" in html


@pytest.mark.parametrize("cursor", ["-1", "abc", HUGE, str(2**64), "1e3", " 1"])
@pytest.mark.parametrize("url", ["/stats/keys", "/stats/keys/queues", "/stats/keys/workers"])
def test_a_bad_cursor_is_a_readable_400(client: FlaskClient, url: str, cursor: str) -> None:
    response = client.get(url, query_string={"cursor": cursor})
    assert response.status_code == 400
    doc = parse(response.data)
    assert "Bad cursor" in doc.find("h1").text()
    assert doc.find("a", "btn").attrs["href"] == url  # start the scan over
    assert doc.find("nav", "tabs")


def test_the_largest_cursor_is_accepted(client: FlaskClient) -> None:
    assert client.get("/stats/keys", query_string={"cursor": str(2**64 - 1)}).status_code == 200
    assert client.get("/stats/keys", query_string={"cursor": ""}).status_code == 200


def test_an_overlong_match_pattern_is_refused(client: FlaskClient) -> None:
    assert client.get("/stats/keys", query_string={"match": "queue:*"}).status_code == 200
    response = client.get("/stats/keys", query_string={"match": "a*" * 40})
    assert response.status_code == 400
    assert "Pattern too complex" in text(response.data)
    assert client.get("/stats/keys", query_string={"match": "x" * 201}).status_code == 400


def real_failure(r: redis.Redis) -> tuple[int, str]:
    raw = r.lindex("resque:failed", 5)
    return 5, digest(raw)


@pytest.mark.parametrize("action", ["retry", "remove"])
@pytest.mark.parametrize(
    ("index", "sha"),
    [
        ("-5", None),
        ("-1", None),
        (HUGE, None),
        (str(2**63), None),
        ("abc", None),
        ("", None),
        ("\u0663", None),  # an Arabic-Indic digit: int() takes it, a list index is not one
        (None, "x"),
        (None, ""),
        (None, "G" * 40),
        (None, "a" * 39),
    ],
)
def test_a_bad_failure_reference_is_a_readable_400(
    client: FlaskClient, r: redis.Redis, action: str, index: str | None, sha: str | None
) -> None:
    real_index, real_digest = real_failure(r)
    before = r.lrange("resque:failed", 0, -1)
    form = {
        "action": action,
        "index": str(real_index) if index is None else index,
        "digest": real_digest if sha is None else sha,
    }
    response = client.post("/failed", data=form)
    assert response.status_code == 400, response.data[:300]
    assert "Bad request" in parse(response.data).find("h1").text()
    assert r.lrange("resque:failed", 0, -1) == before


def test_a_good_failure_reference_still_works(client: FlaskClient, r: redis.Redis) -> None:
    index, sha = real_failure(r)
    response = client.post("/failed", data={"action": "remove", "index": index, "digest": sha})
    assert response.status_code == 303
    assert r.llen("resque:failed") == 119


@pytest.mark.parametrize(
    ("url", "back"),
    [
        ("/queues/no-such-queue", "/queues"),
        ("/queues/a%0Ab", "/queues"),  # a newline in the name reaches the view too
        ("/workers/nobody:1:none", "/workers/all"),
        ("/working/nobody:1:none", "/working"),
        ("/stats/keys/no:such:key", "/stats/keys"),
        ("/failed/no-such-queue", "/failed"),
    ],
)
def test_unknown_things_are_404_with_a_way_back(client: FlaskClient, url: str, back: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    doc = parse(response.data)
    assert doc.find("a", "btn").attrs["href"] == back


@pytest.mark.parametrize(
    "url",
    ["/api/v1/queues/no-such-queue", "/api/v1/failed/nope", "/api/v1/nope", "/api/v1/queues/"],
)
def test_unknown_json_urls_are_json_404s(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert response.get_json()["status"] == 404
