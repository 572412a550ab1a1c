"""Bytes real Ruby Resque 3.0 wrote, pinned against ``resque_web.payload``.

Every expected value below was captured from real Ruby, not computed: Resque v3.0.0 (git
9fc870e7) run from its own lib/ on Ruby 3.1.2 with json 2.6.1 and multi_json 1.14.1 using the
``json_gem`` adapter. Jobs came from ``Resque.enqueue_to(queue, InteropJob, *args)`` followed by
``LINDEX resque:queue:<queue> 0``; whole records from ``Resque.encode(...)``; floats from
``JSON.generate([value])`` (``Float#to_s``), 100,279 of which (random bit patterns and decimal
values) were checked to agree with ``payload.encode`` when these tests were written.

Ruby Resque encodes with ``MultiJson.dump``, so its bytes depend on the adapter MultiJson picks.
With the ``oj`` gem loaded (MultiJson prefers Oj), Ruby writes some floats differently
(``1e15`` as ``1000000000000000.0``, ``9.999999999999998e+16`` as ``99999999999999984.0``,
``-0.0`` as ``0.0``); everything else matched. We pin the json gem, Ruby's standard library.
"""

from __future__ import annotations

import pytest

from resque_web import payload

# (name, args, the exact bytes Ruby pushed for {"class":"InteropJob","args":args})
RUBY_JOBS: list[tuple[str, list, bytes]] = [
    (
        "brief",
        [35, "tar", {"k": 1.5e20, "u": "\xfcn\xef \U0001f389"}],
        (
            b'{"class":"InteropJob","args":[35,"tar",{"k":1.5e'
            b'+20,"u":"\xc3\xbcn\xc3\xaf \xf0\x9f\x8e\x89"}]}'
        ),
    ),
    (
        "floats",
        [
            1.0,
            0.1,
            1.5,
            -2.5,
            100.0,
            1000000000000000.0,
            1e16,
            1.5e20,
            1e20,
            123456789.123,
            0.0001,
            1e-05,
            1.25e-07,
            2.5e-300,
            1.7976931348623157e308,
            5e-324,
            -0.0,
            0.0,
            3.141592653589793,
            9007199254740992.0,
            1e100,
            1.2345678901234568e16,
            0.30000000000000004,
            1234567.0,
            0.001,
            9.999999999999998e16,
        ],
        (
            b'{"class":"InteropJob","args":[1.0,0.1,1.5,-2.5,1'
            b"00.0,1.0e+15,1.0e+16,1.5e+20,1.0e+20,123456789.1"
            b"23,0.0001,1.0e-05,1.25e-07,2.5e-300,1.7976931348"
            b"623157e+308,5.0e-324,-0.0,0.0,3.141592653589793,"
            b"9.007199254740992e+15,1.0e+100,1.234567890123456"
            b"8e+16,0.30000000000000004,1234567.0,0.001,9.9999"
            b"99999999998e+16]}"
        ),
    ),
    (
        "unicode",
        [
            "\xfcn\xef \U0001f389",
            "\u65e5\u672c\u8a9e",
            "\xe9",
            "\x80",
            "\xa0",
            "\u2028",
            "\u2029",
            "\ufeff",
            "\U0010ffff",
            "\x7f",
            "\U0001f600",
        ],
        (
            b'{"class":"InteropJob","args":["\xc3\xbcn\xc3\xaf \xf0\x9f\x8e\x89","\xe6\x97\xa5\xe6'
            b'\x9c\xac\xe8\xaa\x9e","\xc3\xa9","\xc2\x80","\xc2\xa0","\xe2\x80\xa8","\xe2\x80\xa9","\xef\xbb\xbf","\xf4\x8f\xbf\xbf","'
            b'\x7f","\xf0\x9f\x98\x80"]}'
        ),
    ),
    (
        "controls",
        ["\x00", "\x01", "\x1f", "\x08", "\x0c", "\n", "\r", "\t", "\x0b", "\x1b", "a\x00b"],
        (
            b'{"class":"InteropJob","args":["\\u0000","\\u0001",'
            b'"\\u001f","\\b","\\f","\\n","\\r","\\t","\\u000b","\\u00'
            b'1b","a\\u0000b"]}'
        ),
    ),
    (
        "quotes",
        ['"', "\\", "/", "</script>", 'a\\"b', "'", "<>&", "C:\\path\\to", "http://x/y"],
        (
            b'{"class":"InteropJob","args":["\\"","\\\\","/","</s'
            b'cript>","a\\\\\\"b","\'","<>&","C:\\\\path\\\\to","http:'
            b'//x/y"]}'
        ),
    ),
    (
        "nested",
        [{"a": {"b": [1, {"c": None}], "d": []}, "e": {}, "t": True, "f": False}, [[[]]], None],
        (
            b'{"class":"InteropJob","args":[{"a":{"b":[1,{"c":'
            b'null}],"d":[]},"e":{},"t":true,"f":false},[[[]]]'
            b",null]}"
        ),
    ),
    (
        "scalars",
        [None, True, False, 0, -1, "", [], {}],
        b'{"class":"InteropJob","args":[null,true,false,0,-1,"",[],{}]}',
    ),
    (
        "bigints",
        [
            2147483648,
            9007199254740993,
            9223372036854775807,
            9223372036854775808,
            18446744073709551617,
            -1180591620717411303424,
            12345678901234567890123456789,
        ],
        (
            b'{"class":"InteropJob","args":[2147483648,9007199'
            b"254740993,9223372036854775807,922337203685477580"
            b"8,18446744073709551617,-1180591620717411303424,1"
            b"2345678901234567890123456789]}"
        ),
    ),
    (
        "key_order",
        [{"z": 1, "a": 2, "m": {"y": 1, "b": 2}}],
        b'{"class":"InteropJob","args":[{"z":1,"a":2,"m":{"y":1,"b":2}}]}',
    ),
    (
        "odd_keys",
        [
            {
                "\u043a\u043b\u044e\u0447": "\u0437\u043d\u0430\u0447\u0435\u043d\u0438\u0435",
                'k"q': 1,
                "k\n": 2,
                "": 3,
            }
        ],
        (
            b'{"class":"InteropJob","args":[{"\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87":"\xd0\xb7\xd0\xbd\xd0'
            b'\xb0\xd1\x87\xd0\xb5\xd0\xbd\xd0\xb8\xd0\xb5","k\\"q":1,"k\\n":2,"":3}]}'
        ),
    ),
    (
        "no_args",
        [],
        b'{"class":"InteropJob","args":[]}',
    ),
]


@pytest.mark.parametrize(("name", "args", "ruby"), RUBY_JOBS, ids=[c[0] for c in RUBY_JOBS])
def test_job_payload_bytes_match_ruby(name: str, args: list, ruby: bytes) -> None:
    assert payload.encode_job("InteropJob", args).encode("utf-8") == ruby


@pytest.mark.parametrize(("name", "args", "ruby"), RUBY_JOBS, ids=[c[0] for c in RUBY_JOBS])
def test_plain_encode_of_the_job_hash_matches_ruby(name: str, args: list, ruby: bytes) -> None:
    assert payload.encode({"class": "InteropJob", "args": args}).encode("utf-8") == ruby


def test_namespaced_class_name() -> None:

    assert (
        payload.encode_job("Foo::BarJob", [1]).encode("utf-8")
        == b'{"class":"Foo::BarJob","args":[1]}'
    )


def test_worker_record_bytes_match_ruby() -> None:
    """``Resque.encode(:queue =>, :run_at =>, :payload =>)`` as ``Worker#working_on`` writes."""
    record = {
        "queue": "interop",
        "run_at": "2026-11-27T17:05:08Z",
        "payload": {
            "class": "InteropJob",
            "args": [35, "tar", {"k": 1.5e20, "u": "\xfcn\xef \U0001f389"}],
        },
    }
    assert payload.encode(record).encode("utf-8") == (
        b'{"queue":"interop","run_at":"2026-11-27T17:05:08'
        b'Z","payload":{"class":"InteropJob","args":[35,"t'
        b'ar",{"k":1.5e+20,"u":"\xc3\xbcn\xc3\xaf \xf0\x9f\x8e\x89"}]}}'
    )


def test_failure_record_bytes_match_ruby() -> None:
    """A ``Failure::Redis#save`` record: key order, a float, quotes, newline, tab, ``</x>``."""
    record = {
        "failed_at": "2026/11/27 17:05:08 UTC",
        "payload": {"class": "X", "args": [1.0e-5]},
        "exception": "RuntimeError",
        "error": 'bad "thing"\n\tat </x>',
        "backtrace": ["a.rb:1:in `perform'"],
        "worker": "vm:1:*",
        "queue": "q",
    }
    assert payload.encode(record).encode("utf-8") == (
        b'{"failed_at":"2026/11/27 17:05:08 UTC","payload"'
        b':{"class":"X","args":[1.0e-05]},"exception":"Run'
        b'timeError","error":"bad \\"thing\\"\\n\\tat </x>","b'
        b'acktrace":["a.rb:1:in `perform\'"],"worker":"vm:1'
        b':*","queue":"q"}'
    )


# (value, Ruby's JSON.generate([value]) without the brackets); around 1e15 Ruby writes a whole
# number in exponent form where Python's repr does not, but keeps 17-digit fractions written out.
RUBY_FLOATS: list[tuple[float, str]] = [
    (0.0, "0.0"),
    (-0.0, "-0.0"),
    (1.0, "1.0"),
    (-1.0, "-1.0"),
    (0.1, "0.1"),
    (100.0, "100.0"),
    (100000000000000.0, "100000000000000.0"),
    (100000000000000.5, "100000000000000.5"),
    (999999999999999.9, "999999999999999.9"),
    (999999999999999.9, "999999999999999.9"),
    (1000000000000000.0, "1.0e+15"),
    (1000000000000000.1, "1000000000000000.1"),
    (-1000000000000000.0, "-1.0e+15"),
    (1234567890123456.0, "1.234567890123456e+15"),
    (1176642495839804.5, "1176642495839804.5"),
    (-2211275763413874.2, "-2211275763413874.2"),
    (1963921127817880.0, "1.96392112781788e+15"),
    (9007199254740992.0, "9.007199254740992e+15"),
    (9999999999999998.0, "9.999999999999998e+15"),
    (1e16, "1.0e+16"),
    (1.0000000000000002e16, "1.0000000000000002e+16"),
    (1.2345678901234568e17, "1.2345678901234568e+17"),
    (1e21, "1.0e+21"),
    (1e22, "1.0e+22"),
    (1.5e20, "1.5e+20"),
    (1e100, "1.0e+100"),
    (1.7976931348623157e308, "1.7976931348623157e+308"),
    (0.001, "0.001"),
    (0.0001, "0.0001"),
    (9.999999999999999e-05, "9.999999999999999e-05"),
    (0.00010000000000000002, "0.00010000000000000002"),
    (1e-05, "1.0e-05"),
    (0.00012345, "0.00012345"),
    (1.25e-07, "1.25e-07"),
    (-1.5e-07, "-1.5e-07"),
    (2.2250738585072014e-308, "2.2250738585072014e-308"),
    (5e-324, "5.0e-324"),
    (0.30000000000000004, "0.30000000000000004"),
    (0.3333333333333333, "0.3333333333333333"),
    (0.6666666666666666, "0.6666666666666666"),
    (123456789.123, "123456789.123"),
]


@pytest.mark.parametrize(("value", "ruby"), RUBY_FLOATS)
def test_float_spelling_matches_ruby(value: float, ruby: str) -> None:
    assert payload.encode([value]) == f"[{ruby}]"
    assert payload.encode_job("F", [{"v": value}]) == f'{{"class":"F","args":[{{"v":{ruby}}}]}}'


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_floats_are_refused_as_ruby_refuses_them(value: float) -> None:
    """Ruby: ``JSON::GeneratorError`` (``NaN not allowed in JSON``); nothing is pushed."""
    with pytest.raises(ValueError):
        payload.encode_job("F", [value])
