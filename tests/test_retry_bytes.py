"""Bytes real resque-retry 1.8 wrote, pinned: attempt keys, delayed retries and
``failure-<key>`` records, from the shared fixture and from a hand capture.

Every expected value below was captured from real Ruby, not computed: resque-retry 1.8
(``/work/ext/resque-retry``) with resque-scheduler 5.0.0 and Resque 3.0.0, each run from its
own lib/ on Ruby 3.1.2 (json 2.6.1, ``MultiJson.use(:json_gem)``, redis-rb 4.8, LANG
C.UTF-8), failure backend ``MultipleWithRetrySuppression`` over ``Resque::Failure::Redis``.

- ``RUBY_JOINS``: ``args.join('-')`` and its SHA-1 (resque-retry's ``retry_identifier``)
  for arguments decoded from JSON with ``JSON.parse``.
- ``RUBY_INSPECTS``: ``{"s" => text}.to_s``, how a hash argument is joined.
- ``RUBY_JSON_IDS``: ``Digest::SHA1.hexdigest(Resque.encode(args))``.
- ``RUBY_STATE``: every key a Ruby worker left (``Worker#work(0)``, forking for ``Killer``)
  after the jobs of ``tests/retry_jobs.py`` (same names, settings and errors) were enqueued
  in ``ENQUEUED``'s order, all failing within the second ``RUBY_AT``. Backtraces are cut
  to their first frame; the prune lock is left out. Ours are compared item by item
  (``same_state``): which retries share a ``delayed:<epoch>`` list depends on the second
  each job failed in, so only each item's bytes, their count, their delay after their own
  failure and the order of items Ruby listed together are pinned.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import redis

from resque_web import Resque
from resque_web import payload as jsonp
from resque_web.keys import Keys
from resque_web.retry import json_retry_identifier, retry_identifier, ruby_inspect, ruby_join
from tests.support.dump import RUBY_PLUGINS, dump_keys
from tests.support.worker import run_burst

K = Keys()
RUBY_AT = 1796330775
ENQUEUED: list[tuple[str, str, list[Any]]] = [
    ("flaky", "Flaky", [42, "x"]),
    ("flaky", "Expiring", ["e"]),
    ("flaky", "Mapped", ["io"]),
    ("flaky", "Mapped", ["rt"]),
    ("flaky", "Fatal", [1]),
    ("flaky", "Hopeless", [1]),
    ("flaky", "Backoff", ["acct-9"]),
    ("flaky", "Elsewhere", [7]),
    (
        "flaky",
        "Hashy",
        [{"cents": 1999, "note": "ünïcode 队列"}, 1.5, None, True, [1, [2, None]], 1e20],
    ),
]
FAILED_AT_NO_ZONE = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d$")
FAILED_AT = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d [A-Z]+$")
DIRTY = re.compile(r"^Child process received unhandled signal pid \d+ SIGKILL \(signal 9\)$")

RUBY_JOINS: list[tuple[str, str, str | None]] = [
    (
        '[42,"x"]',
        "42-x",
        "51aff26e6c51e232060faacfb4a29176e370f5cf",
    ),
    (
        "[]",
        "",
        None,
    ),
    (
        "[null]",
        "",
        None,
    ),
    (
        "[null,null]",
        "-",
        "3bc15c8aae3e4124dd409035f32ea2fd6835efc9",
    ),
    (
        "[true,false]",
        "true-false",
        "f00fa2b3980821b31114d9d22c8330b3360dc12d",
    ),
    (
        (
            "[1.5,2.0,100.0,1.0e+15,1.0e+16,1.0e+20,0.0001,1.0e-05,0.1,-0.0,12345"
            "6789.12345679,1.7976931348623157e+308,5.0e-324]"
        ),
        (
            "1.5-2.0-100.0-1.0e+15-1.0e+16-1.0e+20-0.0001-1.0e-05-0.1--0.0-123456"
            "789.12345679-1.7976931348623157e+308-5.0e-324"
        ),
        "67447c6aacf1f74efd1059c83453d3950d7bf395",
    ),
    (
        "[[1,2.5,null]]",
        "1-2.5-",
        "43ab9bce95a8826ef53e5a423ad536345ae6bce9",
    ),
    (
        '[[1,[2,[3]]],"a"]',
        "1-2-3-a",
        "44a14ee011f8349a929abc645ce21cb29301f885",
    ),
    (
        "[[]]",
        "",
        None,
    ),
    (
        "[[],[]]",
        "-",
        "3bc15c8aae3e4124dd409035f32ea2fd6835efc9",
    ),
    (
        '[{"cents":1999,"note":"ünïcode 队列"}]',
        '{"cents"=>1999, "note"=>"ünïcode 队列"}',
        "19832d983b3412b57da7ebb9478fc2aec1c6fdb7",
    ),
    (
        '[{"a":null,"b":true,"c":[1,"x",{"d":2.5}],"e":{"f":"g"}}]',
        '{"a"=>nil, "b"=>true, "c"=>[1, "x", {"d"=>2.5}], "e"=>{"f"=>"g"}}',
        "46e906557cafdf7d2d7b51f51b065e7e1705ee01",
    ),
    (
        "[{}]",
        "{}",
        "bf21a9e8fbc5a3846fb05b4fa0859e0917b2202f",
    ),
    (
        (
            '[{"q\\"uote":"back\\\\slash","nl":"a\\nb","tab":"\\t","ctl":"\\u0001'
            '\\u001f\x7f","hash":"#{x} #$y #@z #a","uni":"é\xa0\u2028\u200b😀","es'
            'c":"\\u001b"}]'
        ),
        (
            '{"q\\"uote"=>"back\\\\slash", "nl"=>"a\\nb", "tab"=>"\\t", "ctl"=>"'
            '\\u0001\\u001F\\u007F", "hash"=>"\\#{x} \\#$y \\#@z #a", "uni"=>"é'
            '\xa0\\u2028\u200b😀", "esc"=>"\\e"}'
        ),
        "5934d9bac25b646b580a18b0433b23b02ab27f8d",
    ),
    (
        '["a b","\\tc\\n"]',
        "a b-\tc\n",
        "b1810520701b1f8f2b5e881c534d627d8492715b",
    ),
    (
        '["  "]',
        "  ",
        "099600a10a944114aac406d136b625fb416dd779",
    ),
    (
        "[12345678901234567890123]",
        "12345678901234567890123",
        "b38fe9c4f445270dbabef56ae668096ebdae3b2c",
    ),
    (
        "[-7,0]",
        "-7-0",
        "09ce1e99d27fa7124ae77a62b10270766d6e7eda",
    ),
    (
        '["x",[null],"y"]',
        "x--y",
        "a5699a6f2e35e0363ce5fade15e3645b3549e171",
    ),
    (
        '[{"k":[{}]}]',
        '{"k"=>[{}]}',
        "26856c2113ae4a54e9bf46d22109e9dbffc289a4",
    ),
    (
        '[{"k":{"nested":{"deep":[null,1.0e+25]}}}]',
        '{"k"=>{"nested"=>{"deep"=>[nil, 1.0e+25]}}}',
        "50548518d05d603e21a60b06d992ea69c4c34bc7",
    ),
    (
        "[1.0,2.5,3.14159]",
        "1.0-2.5-3.14159",
        "1bd4c5d8bfa5311c36c79ab62ae2c643d543dcc2",
    ),
    (
        '["ünïcode 队列"]',
        "ünïcode 队列",
        "bdfca86786fa9b104c2c98109e66ae7879fa31b6",
    ),
]

RUBY_INSPECTS: list[tuple[int | str, str]] = [
    (0, '{"s"=>"\\u0000"}'),
    (7, '{"s"=>"\\a"}'),
    (8, '{"s"=>"\\b"}'),
    (9, '{"s"=>"\\t"}'),
    (10, '{"s"=>"\\n"}'),
    (11, '{"s"=>"\\v"}'),
    (12, '{"s"=>"\\f"}'),
    (13, '{"s"=>"\\r"}'),
    (27, '{"s"=>"\\e"}'),
    (31, '{"s"=>"\\u001F"}'),
    (127, '{"s"=>"\\u007F"}'),
    (133, '{"s"=>"\x85"}'),
    (160, '{"s"=>"\xa0"}'),
    (173, '{"s"=>"\xad"}'),
    (888, '{"s"=>"\\u0378"}'),
    (1564, '{"s"=>"\u061c"}'),
    (8203, '{"s"=>"\u200b"}'),
    (8206, '{"s"=>"\u200e"}'),
    (8232, '{"s"=>"\\u2028"}'),
    (8233, '{"s"=>"\\u2029"}'),
    (12288, '{"s"=>"\u3000"}'),
    (55295, '{"s"=>"\\uD7FF"}'),
    (57344, '{"s"=>"\ue000"}'),
    (65279, '{"s"=>"\ufeff"}'),
    (65534, '{"s"=>"\\uFFFE"}'),
    (65535, '{"s"=>"\\uFFFF"}'),
    (128512, '{"s"=>"😀"}'),
    (129535, '{"s"=>"🧿"}'),
    (917505, '{"s"=>"\U000e0001"}'),
    (1114111, '{"s"=>"\\u{10FFFF}"}'),
    ("#{x}", '{"s"=>"\\#{x}"}'),
    ("#$y", '{"s"=>"\\#$y"}'),
    ("#@z", '{"s"=>"\\#@z"}'),
    ("#a", '{"s"=>"#a"}'),
    ("#", '{"s"=>"#"}'),
    ('a"b\\c', '{"s"=>"a\\"b\\\\c"}'),
    ("é", '{"s"=>"é"}'),
]

# Digest::SHA1.hexdigest(Resque.encode(args)): the stable identifier's Ruby twin
RUBY_JSON_IDS: list[tuple[str, str]] = [
    ('[42,"x"]', "7e0675d7460c450c51b4469f83b8dc6b74b0ad0f"),
    (
        "[1.5,2.0,100.0,1.0e+15,1.0e+16,1.0e+20,0.0001,1.0e-05,0.1,-0.0,123456789.12345679,1.7976931348623157e+308,5.0e-324]",
        "8062025baa438190f2d75411b9b0adbcc364cbab",
    ),
    ('[{"cents":1999,"note":"ünïcode 队列"}]', "b9db1ae235e735d4bd9ce1e2bc5917cc4575e24b"),
    (
        '[{"a":null,"b":true,"c":[1,"x",{"d":2.5}],"e":{"f":"g"}}]',
        "e0f1ecec7103b65fff0c819dbe268b7d09468e62",
    ),
    (
        '[{"q\\"uote":"back\\\\slash","nl":"a\\nb","tab":"\\t","ctl":"\\u0001\\u001f\x7f",'
        '"hash":"#{x} #$y #@z #a","uni":"é\xa0\u2028\u200b😀","esc":"\\u001b"}]',
        "fed2d2c356ee50c48642514251051c82597352b6",
    ),
    ("[12345678901234567890123]", "05963f3dbda7c0480cd888f6dc06c6b21e172379"),
]

RUBY_STATE: dict[str, tuple[str, int, Any]] = {
    "resque:delayed:1796330778": (
        "list",
        -1,
        [
            '{"class":"Mapped","args":["io"],"queue":"flaky"}',
        ],
    ),
    "resque:delayed:1796330780": (
        "list",
        -1,
        [
            '{"class":"Mapped","args":["rt"],"queue":"flaky"}',
            (
                '{"class":"Hashy","args":[{"cents":1999,"note":"ünïcode 队列"},1.5,null'
                ',true,[1,[2,null]],1.0e+20],"queue":"flaky"}'
            ),
        ],
    ),
    "resque:delayed:1796330785": (
        "list",
        -1,
        [
            '{"class":"Expiring","args":["e"],"queue":"flaky"}',
        ],
    ),
    "resque:delayed:1796330795": (
        "list",
        -1,
        [
            '{"class":"Elsewhere","args":[7],"queue":"retries"}',
        ],
    ),
    "resque:delayed:1796330820": (
        "list",
        -1,
        [
            '{"class":"Killer","args":["k"],"queue":"killer"}',
        ],
    ),
    "resque:delayed:1796330835": (
        "list",
        -1,
        [
            '{"class":"Backoff","args":["acct-9"],"queue":"flaky"}',
        ],
    ),
    "resque:delayed:1796331375": (
        "list",
        -1,
        [
            '{"class":"Flaky","args":[42,"x"],"queue":"flaky"}',
        ],
    ),
    "resque:delayed_queue_schedule": (
        "zset",
        -1,
        [
            "1796330778",
            "1796330780",
            "1796330785",
            "1796330795",
            "1796330820",
            "1796330835",
            "1796331375",
        ],
    ),
    "resque:failed": (
        "list",
        -1,
        [
            (
                '{"failed_at":"2026/12/03 20:46:15 UTC","payload":{"class":"Fatal","a'
                'rgs":[1]},"exception":"ArgumentError","error":"bad","backtrace":["ca'
                'pture.rb:38:in `perform\'"],"worker":"vm:12771:flaky","queue":"flaky'
                '"}'
            ),
            (
                '{"failed_at":"2026/12/03 20:46:15 UTC","payload":{"class":"Hopeless"'
                ',"args":[1]},"exception":"ArgumentError","error":"never works","back'
                'trace":["capture.rb:44:in `perform\'"],"worker":"vm:12771:flaky","qu'
                'eue":"flaky"}'
            ),
        ],
    ),
    "resque:failure-resque-retry:Backoff:44a90c74c918409ebe466972f8068347b501a063": (
        "string",
        120,
        (
            '{"failed_at":"2026/12/03 20:46:15","payload":{"class":"Backoff","arg'
            's":["acct-9"]},"exception":"Timeout::Error","error":"slow upstream",'
            '"backtrace":["capture.rb:56:in `perform\'"],"worker":"vm:12771:flaky'
            '","queue":"flaky"}'
        ),
    ),
    "resque:failure-resque-retry:Elsewhere:902ba3cda1883801594b6e1b452790cc53948fda": (
        "string",
        40,
        (
            '{"failed_at":"2026/12/03 20:46:15","payload":{"class":"Elsewhere","a'
            'rgs":[7]},"exception":"RuntimeError","error":"x","backtrace":["captu'
            're.rb:63:in `perform\'"],"worker":"vm:12771:flaky","queue":"flaky"}'
        ),
    ),
    "resque:failure-resque-retry:Expiring:58e6b3a414a1e090dfc6029add0f3555ccba127f": (
        "string",
        20,
        (
            '{"failed_at":"2026/12/03 20:46:15","payload":{"class":"Expiring","ar'
            'gs":["e"]},"exception":"IOError","error":"x","backtrace":["capture.r'
            'b:25:in `perform\'"],"worker":"vm:12771:flaky","queue":"flaky"}'
        ),
    ),
    "resque:failure-resque-retry:Flaky:51aff26e6c51e232060faacfb4a29176e370f5cf": (
        "string",
        1200,
        (
            '{"failed_at":"2026/12/03 20:46:15","payload":{"class":"Flaky","args"'
            ':[42,"x"]},"exception":"IOError","error":"upstream down ([42, \\"x\\'
            '"])","backtrace":["capture.rb:18:in `perform\'"],"worker":"vm:12771:'
            'flaky","queue":"flaky"}'
        ),
    ),
    "resque:failure-resque-retry:Hashy:93655af9276de5731e7ec7f404d420b647c9afd6": (
        "string",
        10,
        (
            '{"failed_at":"2026/12/03 20:46:15","payload":{"class":"Hashy","args"'
            ':[{"cents":1999,"note":"ünïcode 队列"},1.5,null,true,[1,[2,null]],1.0e'
            '+20]},"exception":"RuntimeError","error":"hash","backtrace":["captur'
            'e.rb:69:in `perform\'"],"worker":"vm:12771:flaky","queue":"flaky"}'
        ),
    ),
    "resque:failure-resque-retry:Killer:13fbd79c3d390e5d6585a21e11ff5ec1970cff0c": (
        "string",
        90,
        (
            '{"failed_at":"2026/12/03 20:46:15","payload":{"class":"Killer","args'
            '":["k"]},"exception":"Resque::DirtyExit","error":"Child process rece'
            'ived unhandled signal pid 12779 SIGKILL (signal 9)","backtrace":[],"'
            'worker":"vm:12771:killer","queue":"killer"}'
        ),
    ),
    "resque:failure-resque-retry:Mapped:5a258230180d9c643f761089d7e33b8b52288ed3": (
        "string",
        6,
        (
            '{"failed_at":"2026/12/03 20:46:15","payload":{"class":"Mapped","args'
            '":["io"]},"exception":"IOError","error":"boom io","backtrace":["capt'
            'ure.rb:31:in `perform\'"],"worker":"vm:12771:flaky","queue":"flaky"}'
        ),
    ),
    "resque:failure-resque-retry:Mapped:fd01c0d7916f6c1fd4e3a3d8b10cbdeed574632c": (
        "string",
        10,
        (
            '{"failed_at":"2026/12/03 20:46:15","payload":{"class":"Mapped","args'
            '":["rt"]},"exception":"RuntimeError","error":"boom rt","backtrace":['
            '"capture.rb:31:in `perform\'"],"worker":"vm:12771:flaky","queue":"fl'
            'aky"}'
        ),
    ),
    "resque:queues": (
        "set",
        -1,
        [
            "flaky",
            "killer",
        ],
    ),
    "resque:resque-retry:Backoff:44a90c74c918409ebe466972f8068347b501a063": (
        "string",
        -1,
        "1",
    ),
    "resque:resque-retry:Elsewhere:902ba3cda1883801594b6e1b452790cc53948fda": (
        "string",
        -1,
        "0",
    ),
    "resque:resque-retry:Expiring:58e6b3a414a1e090dfc6029add0f3555ccba127f": (
        "string",
        3610,
        "0",
    ),
    "resque:resque-retry:Flaky:51aff26e6c51e232060faacfb4a29176e370f5cf": (
        "string",
        -1,
        "0",
    ),
    "resque:resque-retry:Hashy:93655af9276de5731e7ec7f404d420b647c9afd6": (
        "string",
        -1,
        "0",
    ),
    "resque:resque-retry:Killer:13fbd79c3d390e5d6585a21e11ff5ec1970cff0c": (
        "string",
        -1,
        "0",
    ),
    "resque:resque-retry:Mapped:5a258230180d9c643f761089d7e33b8b52288ed3": (
        "string",
        -1,
        "0",
    ),
    "resque:resque-retry:Mapped:fd01c0d7916f6c1fd4e3a3d8b10cbdeed574632c": (
        "string",
        -1,
        "0",
    ),
    "resque:stat:failed": (
        "string",
        -1,
        "11",
    ),
    "resque:stat:processed": (
        "string",
        -1,
        "12",
    ),
    'resque:timestamps:{"class":"Backoff","args":["acct-9"],"queue":"flaky"}': (
        "set",
        -1,
        [
            "delayed:1796330835",
        ],
    ),
    'resque:timestamps:{"class":"Elsewhere","args":[7],"queue":"retries"}': (
        "set",
        -1,
        [
            "delayed:1796330795",
        ],
    ),
    'resque:timestamps:{"class":"Expiring","args":["e"],"queue":"flaky"}': (
        "set",
        -1,
        [
            "delayed:1796330785",
        ],
    ),
    'resque:timestamps:{"class":"Flaky","args":[42,"x"],"queue":"flaky"}': (
        "set",
        -1,
        [
            "delayed:1796331375",
        ],
    ),
    (
        'resque:timestamps:{"class":"Hashy","args":[{"cents":1999,"note":"ünï'
        'code 队列"},1.5,null,true,[1,[2,null]],1.0e+20],"queue":"flaky"}'
    ): (
        "set",
        -1,
        [
            "delayed:1796330780",
        ],
    ),
    'resque:timestamps:{"class":"Killer","args":["k"],"queue":"killer"}': (
        "set",
        -1,
        [
            "delayed:1796330820",
        ],
    ),
    'resque:timestamps:{"class":"Mapped","args":["io"],"queue":"flaky"}': (
        "set",
        -1,
        [
            "delayed:1796330778",
        ],
    ),
    'resque:timestamps:{"class":"Mapped","args":["rt"],"queue":"flaky"}': (
        "set",
        -1,
        [
            "delayed:1796330780",
        ],
    ),
}


@pytest.mark.parametrize(("args_json", "joined", "sha1"), RUBY_JOINS)
def test_retry_identifier_joins_arguments_as_ruby(args_json: str, joined: str, sha1: str) -> None:
    args = json.loads(args_json)
    assert ruby_join(args) == joined
    assert retry_identifier(args) == sha1


@pytest.mark.parametrize(("text", "inspected"), RUBY_INSPECTS)
def test_hash_arguments_inspect_as_ruby(text: int | str, inspected: str) -> None:
    assert ruby_inspect({"s": chr(text) if isinstance(text, int) else text}) == inspected


@pytest.mark.parametrize(("args_json", "sha1"), RUBY_JSON_IDS)
def test_the_json_identifier_is_rubys_sha1_of_resque_encode(args_json: str, sha1: str) -> None:
    assert json_retry_identifier(json.loads(args_json)) == sha1


# A key as a snapshot holds it: (type, TTL or expiry, value). RUBY_STATE holds TTLs in
# seconds (as Ruby set them: the capture was read at once); ``snapshot`` holds when each of
# our keys expires (epoch seconds), so a later read or a busy machine changes nothing.
Entry = tuple[str, float, Any]
NO_TTL = -1


def snapshot(r: redis.Redis) -> dict[str, Entry]:
    """Every key as (type, epoch its TTL ends or -1, value); keys expiring meanwhile are
    left out (see :func:`with_expired`)."""
    found: dict[str, Entry] = {}
    for key in r.scan_iter(count=1000):
        kind = r.type(key)
        value: Any
        if kind == "string":
            value = r.get(key)
        elif kind == "list":
            value = r.lrange(key, 0, -1)
        elif kind == "set":
            value = sorted(r.smembers(key))
        elif kind == "zset":
            value = r.zrange(key, 0, -1)
        else:
            value = None
        expiry = r.pexpiretime(key)
        if kind == "none" or expiry == -2:
            continue  # expired between SCAN and reading it
        found[key] = (kind, expiry / 1000 if expiry >= 0 else NO_TTL, value)
    found.pop(K.prune_lock, None)
    return found


def with_expired(earlier: dict[str, Entry], later: dict[str, Entry]) -> dict[str, Entry]:
    """``later``, plus the keys of ``earlier`` whose TTL has run out since (a record kept
    for 6 s may expire while the next worker runs on a busy machine)."""
    now = time.time()
    gone = {
        key: entry
        for key, entry in earlier.items()
        if key not in later and entry[1] != NO_TTL and entry[1] <= now
    }
    return {**later, **gone}


def same_record(ours: str, ruby: str) -> None:
    """Byte for byte, except what differs by nature: the time, the worker id, the backtrace
    (Python frames) and a killed child's pid."""
    mine, theirs = json.loads(ours), json.loads(ruby)
    assert list(mine) == list(theirs)
    assert jsonp.encode(theirs) == ruby  # our encoder spells Ruby's record as Ruby did
    pattern = FAILED_AT if theirs["failed_at"].endswith("UTC") else FAILED_AT_NO_ZONE
    assert pattern.match(mine["failed_at"]), mine["failed_at"]
    same = {k: mine[k] for k in ("failed_at", "backtrace", "worker")}
    if DIRTY.match(theirs["error"]):
        assert DIRTY.match(mine["error"]) and mine["backtrace"] == []
        same["error"] = mine["error"]
    assert ours == jsonp.encode({**theirs, **same})


def is_delayed_key(key: str) -> bool:
    """resque-scheduler's delayed queue: ``delayed:<epoch>``, its schedule, ``timestamps:``."""
    return key.startswith((K.delayed_prefix, K.timestamps_prefix)) or key == K.delayed_schedule


def delayed_copies(state: Mapping[str, Entry]) -> dict[str, list[tuple[int, int]]]:
    """Each delayed item's bytes -> (epoch, list position) of every copy, after checking
    that the schedule and the ``timestamps:`` sets agree with the lists, as
    resque-scheduler keeps them."""
    lists = {
        int(key.removeprefix(K.delayed_prefix)): value
        for key, (kind, _, value) in state.items()
        if key.startswith(K.delayed_prefix)
    }
    copies: dict[str, list[tuple[int, int]]] = {}
    for epoch in sorted(lists):
        for position, item in enumerate(lists[epoch]):
            copies.setdefault(item, []).append((epoch, position))
    assert state.get(K.delayed_schedule) == ("zset", NO_TTL, [str(e) for e in sorted(lists)])
    sets = {key: entry for key, entry in state.items() if key.startswith(K.timestamps_prefix)}
    assert sets == {
        K.timestamps(item): ("set", NO_TTL, sorted({K.delayed_name(e) for e, _ in places}))
        for item, places in copies.items()
    }
    return copies


def failed_second(record: str) -> int:
    """The epoch second of a kept error's ``failed_at`` (local time, no zone)."""
    failed_at = json.loads(record)["failed_at"]
    return int(time.mktime(time.strptime(failed_at, "%Y/%m/%d %H:%M:%S")))


def retry_failed_second(state: Mapping[str, Entry], item: str) -> int | None:
    """When the job of a delayed retry failed, by the error resque-retry keeps for it;
    None when none is kept."""
    job = json.loads(item)
    kept = state.get(K.retry_failure(K.retry_name(job["class"], retry_identifier(job["args"]))))
    return None if kept is None else failed_second(kept[2])


def same_delayed(
    ours: Mapping[str, Entry], ruby: Mapping[str, Entry], ruby_at: int, window: tuple[float, float]
) -> None:
    """The delayed queue, item by item: the same items byte for byte, as many copies of
    each, each due its configured delay (as Ruby's: its epoch less ``ruby_at``) after the
    second it failed in, and items sharing a Ruby list in Ruby's order. Which items share
    a list is left free: Ruby's all failed within one second, ours may straddle one."""
    mine, theirs = delayed_copies(ours), delayed_copies(ruby)
    assert sorted(mine) == sorted(theirs)  # the same items, byte for byte
    for item, ruby_places in theirs.items():
        places = mine[item]
        assert len(places) == len(ruby_places), item  # as many copies of each
        delays = sorted(epoch - ruby_at for epoch, _ in ruby_places)
        failed = retry_failed_second(ours, item)
        for (epoch, _), delay in zip(places, delays):
            scheduled = epoch - delay  # the second our retry was scheduled in
            # the retry is scheduled before the failure is recorded (on_failure hooks first)
            latest = window[1] if failed is None else failed
            assert int(window[0]) <= scheduled <= latest, (item, epoch, delay, failed, window)
    ruby_place = {item: places[0] for item, places in theirs.items()}
    for key, (_, _, items) in ours.items():
        if key.startswith(K.delayed_prefix):
            for a, b in itertools.combinations(items, 2):
                if a != b and ruby_place[a][0] == ruby_place[b][0]:
                    assert ruby_place[a][1] < ruby_place[b][1], (key, a, b)


def same_state(
    ours: Mapping[str, Entry],
    ruby: Mapping[str, Entry],
    ruby_at: int,
    window: tuple[float, float],
) -> None:
    """``ours`` holds exactly ``ruby``'s keys and values (the delayed queue compared item by
    item, :func:`same_delayed`), each key with a TTL set to it during ``window`` (when our
    jobs ran), the error kept for a retry no earlier than its ``failed_at``."""
    same_delayed(ours, ruby, ruby_at, window)
    mine = {key: entry for key, entry in ours.items() if not is_delayed_key(key)}
    theirs = {key: entry for key, entry in ruby.items() if not is_delayed_key(key)}
    assert sorted(mine) == sorted(theirs)
    for key, (kind, ttl, value) in theirs.items():
        our_kind, expiry, our_value = mine[key]
        assert our_kind == kind, key
        if ttl == NO_TTL:
            assert expiry == NO_TTL, key
        else:
            set_at = expiry - ttl  # when our key got its TTL (Redis keeps milliseconds)
            assert window[0] - 0.002 <= set_at <= window[1], (key, set_at, window)
            if key.startswith(K.retry_failure("")):  # kept once the failure was recorded
                assert set_at >= failed_second(our_value), (key, set_at)
        if key.startswith(K.retry_failure("")):
            same_record(our_value, value)
        elif key == K.failed:
            assert len(our_value) == len(value)
            for a, b in zip(our_value, value):
                same_record(a, b)
        elif kind in ("set", "zset"):
            assert sorted(our_value) == sorted(value), key
        else:
            assert our_value == value, key


def work(url: str, queue: str, record: Path) -> None:
    done = run_burst(
        url,
        "--queues",
        queue,
        "-r",
        "tests.retry_jobs",
        "--failure-backend",
        "redis_retry_suppression",
        record=record,
    )
    assert done.returncode == 0, done.stderr


def test_a_python_worker_leaves_what_resque_retry_left(
    redis_url: str, r: redis.Redis, resque: Resque, tmp_path: Path
) -> None:
    for queue, name, args in ENQUEUED:
        resque.enqueue_to(queue, name, *args)
    start = time.time()
    work(redis_url, "flaky", tmp_path / "rec")
    first = snapshot(r)
    resque.enqueue_to("killer", "Killer", "k")
    work(redis_url, "killer", tmp_path / "rec")
    same_state(with_expired(first, snapshot(r)), RUBY_STATE, RUBY_AT, (start, time.time()))


FIXTURE = dump_keys(RUBY_PLUGINS)
FIXTURE_AT = 1796329780  # when the fixture's Flaky failed (its README)


def test_attempt_keys_of_the_fixture_are_the_ones_python_computes(
    ruby_plugins_data: redis.Redis,
) -> None:
    for name, args, value in (
        ("Flaky", [42, "x"], "0"),
        ("Flaky", [43, "y"], "0"),
        ("Backoff", ["acct-9"], "1"),
    ):
        key = K.retry_attempts(K.retry_name(name, retry_identifier(args)))
        assert ruby_plugins_data.get(key) == value
        raw = ruby_plugins_data.get(K.retry_failure(K.strip(key)))
        assert json.loads(raw)["payload"] == {"class": name, "args": args}


def test_a_python_flaky_writes_the_fixtures_bytes(
    redis_url: str, r: redis.Redis, resque: Resque, tmp_path: Path
) -> None:
    """The fixture's Flaky [42, "x"], failed once: the same three delayed-queue keys, the
    attempt key and the last error (TTL 2 x 600 s) as resque-retry wrote."""
    resque.enqueue_to("flaky", "Flaky", 42, "x")
    start = time.time()
    work(redis_url, "flaky", tmp_path / "rec")
    name = K.retry_name("Flaky", retry_identifier([42, "x"]))
    item = '{"class":"Flaky","args":[42,"x"],"queue":"flaky"}'
    epoch = FIXTURE_AT + 600
    wanted = {
        K.delayed(epoch): ("list", -1, [item]),
        K.timestamps(item): ("set", -1, FIXTURE[K.timestamps(item)]["value"]),
        K.delayed_schedule: ("zset", -1, [str(epoch)]),
        K.retry_attempts(name): ("string", -1, FIXTURE[K.retry_attempts(name)]["value"]),
        K.retry_failure(name): ("string", 1200, FIXTURE[K.retry_failure(name)]["value"]),
        K.queues: ("set", -1, ["flaky"]),
        K.processed: ("string", -1, "1"),
        K.failed_count: ("string", -1, "1"),
    }
    assert FIXTURE[K.delayed(epoch)]["value"][0] == item
    same_state(snapshot(r), wanted, FIXTURE_AT, (start, time.time()))
