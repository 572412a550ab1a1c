"""JSON as Ruby Resque writes it, so Ruby and Python producers store the same bytes.

Ruby's ``JSON.generate`` is compact (no spaces), keeps raw UTF-8, keeps key order and spells
floats as Ruby's ``Float#to_s`` does (``1.0e+20``, not ``1e+20``). Reading is forgiving: data
in Redis may have been written by anything, so decoding never raises.
"""

from __future__ import annotations

import json
import math
from typing import Any

from .exact import from_bytes

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_string = json.encoder.py_encode_basestring  # type: ignore[attr-defined]

# Ruby's JSON (through MultiJson, as Resque uses it) neither writes nor reads arrays and
# objects nested deeper than this (``max_nesting``: JSON::NestingError, "nesting of 101 is
# too deep"). Python's own encoders recurse, so a deeper value (anything Redis holds may be
# one) must never reach them: encoding refuses it, display shows it cut at this depth.
MAX_NESTING = 100
TOO_DEEP = f"\u2026 (nested deeper than {MAX_NESTING} levels)"
TOO_DEEP_TO_READ = (
    f"the value nests arrays and objects deeper than {MAX_NESTING} levels, more than "
    "Resque's JSON reads"
)


class PayloadError(ValueError):
    """Stored data that is not the JSON shape Resque writes."""


def _ruby_float(value: float) -> str:
    """``Float#to_s``: Python's shortest repr digits, spelled as Ruby spells them.

    Ruby keeps ``.0`` in exponent mantissas, and writes whole numbers from 1e15 up in exponent
    form where Python waits until 1e16: ``1e15`` is ``1.0e+15`` in Ruby, ``1000000000000000.0``
    in Python.
    """
    text = repr(value)
    if text.endswith(".0") and abs(value) >= 1e15:
        # A whole number of 16 digits (1e15 <= |value| < 1e16): Python writes it out,
        # Ruby writes ``d.ddde+15``. With a fraction (1176642495839804.5) both write it out.
        sign = "-" if text.startswith("-") else ""
        digits = text.lstrip("-")[:-2].rstrip("0")
        return f"{sign}{digits[0]}.{digits[1:] or '0'}e+15"
    if "e" in text:
        mantissa, exponent = text.split("e")
        if "." not in mantissa:
            mantissa += ".0"
        return f"{mantissa}e{exponent}"
    return text


def _needs_ruby_floats(value: Any, where: str, depth: int = 0) -> bool:
    """Check that ``value`` is JSON Ruby can read; True when a float needs Ruby's spelling.

    Raises TypeError/ValueError naming ``where`` (e.g. ``args[1]["when"]``) so a caller learns
    which argument is wrong before anything reaches Redis.
    """
    if value is None or isinstance(value, (bool, int, str)):
        return False
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError(f"{where} is {value!r}; JSON (and Ruby) cannot carry NaN or Infinity")
        return abs(value) >= 1e15 or "e" in repr(value)
    if isinstance(value, (list, tuple, dict)) and depth >= MAX_NESTING:
        raise ValueError(
            f"{where} is nested more than {MAX_NESTING} levels deep; Ruby's JSON reads and "
            f"writes at most {MAX_NESTING}"
        )
    if isinstance(value, (list, tuple)):
        found = False
        for i, item in enumerate(value):
            found = _needs_ruby_floats(item, f"{where}[{i}]", depth + 1) or found
        return found
    if isinstance(value, dict):
        found = False
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(
                    f"{where} has a key {key!r} of type {type(key).__name__}; "
                    "JSON object keys must be strings"
                )
            found = _needs_ruby_floats(item, f"{where}[{key!r}]", depth + 1) or found
        return found
    raise TypeError(
        f"{where} is a {type(value).__name__} ({value!r:.80}), which JSON cannot carry; "
        "pass lists, dicts, strings, numbers, booleans or None"
    )


def _encode_slow(value: Any) -> str:
    if isinstance(value, float):
        return _ruby_float(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_encode_slow(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(_string(k) + ":" + _encode_slow(v) for k, v in value.items()) + "}"
    return _encoder.encode(value)


def encode(value: Any, where: str = "value") -> str:
    """Encode ``value`` exactly as Ruby Resque would; raise naming ``where`` if it cannot be."""
    if _needs_ruby_floats(value, where):
        return _encode_slow(value)
    return _encoder.encode(value)


def encode_job(class_name: str, args: list | tuple) -> str:
    """The queue item ``{"class":...,"args":[...]}`` for a job."""
    if not isinstance(class_name, str) or not class_name:
        raise TypeError(f"the job class name must be a non-empty string, not {class_name!r}")
    payload = {"class": class_name, "args": list(args)}
    if _needs_ruby_floats(payload["args"], "args", depth=1):  # the payload is a level
        return _encode_slow(payload)
    return _encoder.encode(payload)


def decode(raw: str | bytes | None) -> Any:
    """Decode stored JSON; raise :class:`PayloadError` with a readable reason if it is not JSON."""
    if raw is None:
        raise PayloadError("the value is missing")
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PayloadError(
                f"the value is not UTF-8 ({exc.reason} at byte {exc.start})"
            ) from None
    try:
        value = json.loads(raw)
    except RecursionError:
        raise PayloadError(TOO_DEEP_TO_READ) from None
    except ValueError as exc:
        raise PayloadError(f"the value is not JSON ({exc})") from None
    # Deeper than Ruby reads is unreadable here too, whatever this thread's stack had left
    # for the decoder. Only a value with that many brackets can be that deep (a quick test).
    if raw.count("[") + raw.count("{") > MAX_NESTING and nesting_exceeds(value):
        raise PayloadError(TOO_DEEP_TO_READ)
    return value


def text_of(value: Any) -> str:
    """A stored field as text: a string as is, anything else as Ruby would write it (or,
    when Ruby could not, as :func:`display_json` shows it). Never raises."""
    if isinstance(value, str):
        return value
    try:
        return encode(value)
    except (TypeError, ValueError):
        return display_json(value)


# Ruby's JSON.parse refuses documents nested deeper than this (max_nesting), so a Ruby worker
# cannot read a job whose arguments reach it: {"class":..,"args":[...]} spends two levels.
RUBY_MAX_NESTING = MAX_NESTING
ARG_MAX_NESTING = RUBY_MAX_NESTING - 2


class NotRubyJSON(ValueError):
    """Text Ruby's ``JSON.parse`` rejects, though Python's ``json`` may take it (``NaN``,
    ``Infinity``, a lone surrogate escape like ``"\\ud800"``)."""


class UnstorableJSON(ValueError):
    """JSON Ruby reads but cannot write back or a worker cannot read: a number too large
    for a float (``1e400``), or nesting deeper than Ruby's limit."""


def _refuse_constant(name: str) -> Any:
    raise NotRubyJSON(f"{name} is not JSON (Ruby's JSON.parse refuses it)")


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise UnstorableJSON(
            f"{text} is too large for a float: Ruby reads it as Infinity, which JSON cannot "
            f"carry; quote it ('\"{text}\"') to pass it as text"
        )
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:  # more digits than Python converts (sys.set_int_max_str_digits)
        raise UnstorableJSON(
            f"a {len(text)}-digit integer is more than this Python reads; quote it to pass "
            "it as text"
        ) from None


def _check_parsed(value: Any, depth: int = 0) -> None:
    """Lone surrogates (Ruby: "incomplete surrogate pair") and Ruby's nesting limit."""
    if isinstance(value, str):
        if any("\ud800" <= c <= "\udfff" for c in value):
            raise NotRubyJSON("a lone surrogate escape is not JSON Ruby reads")
        return
    if isinstance(value, (list, dict)):
        if depth >= ARG_MAX_NESTING:
            raise UnstorableJSON(
                f"it nests deeper than {ARG_MAX_NESTING} levels; Ruby's JSON reads a job "
                f"at most {RUBY_MAX_NESTING} levels deep"
            )
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(key, str):
                _check_parsed(key, depth + 1)
            _check_parsed(item, depth + 1)


def parse_ruby_json(text: str) -> Any:
    """One job argument written as JSON, read as Ruby's ``JSON.parse`` reads it.

    Raises :class:`NotRubyJSON` where Ruby would not call it JSON (a caller may take the text
    as a plain string), :class:`UnstorableJSON` where Ruby parses it but it cannot become a
    job Ruby reads and writes (a caller must refuse it: there is no faithful string)."""
    try:
        value = json.loads(
            text, parse_constant=_refuse_constant, parse_float=_float, parse_int=_int
        )
    except RecursionError:
        raise UnstorableJSON(
            f"it nests deeper than {ARG_MAX_NESTING} levels; Ruby's JSON reads a job "
            f"at most {RUBY_MAX_NESTING} levels deep"
        ) from None
    except (NotRubyJSON, UnstorableJSON):
        raise
    except json.JSONDecodeError as exc:
        raise NotRubyJSON(f"{exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except ValueError as exc:
        raise NotRubyJSON(str(exc)) from None
    _check_parsed(value)
    return value


def to_text(raw: str | bytes | None) -> str:
    """Stored bytes as text, never an error: bytes that are not UTF-8 kept as in
    :mod:`resque_web.exact`."""
    if raw is None:
        return ""
    if isinstance(raw, bytes):
        return from_bytes(raw)  # exactly: a digest of it matches the stored bytes
    return raw


def nesting_exceeds(value: Any, limit: int = MAX_NESTING) -> bool:
    """Does ``value`` nest arrays and objects deeper than ``limit``? Iterative (no
    recursion, whatever the depth), and it visits containers only."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, depth + 1) for c in children if isinstance(c, (list, dict)))
    return False


def bounded(value: Any, limit: int = MAX_NESTING) -> Any:
    """``value`` itself when it nests at most ``limit`` deep; else a copy whose arrays and
    objects beyond that depth are replaced by :data:`TOO_DEEP`. Built without recursion, so
    any value Redis holds can be shown (and then encoded by a recursive encoder)."""
    if not isinstance(value, (list, dict)) or not nesting_exceeds(value, limit):
        return value
    root: list[Any] = [None]
    # (source container, where its copy goes: parent copy and key, its depth)
    stack: list[tuple[Any, Any, Any, int]] = [(value, root, 0, 1)]
    while stack:
        node, parent, key, depth = stack.pop()
        if depth > limit:
            parent[key] = TOO_DEEP
            continue
        if isinstance(node, dict):
            copy: Any = dict(node)
            items = node.items()
        else:
            copy = list(node)
            items = enumerate(node)
        parent[key] = copy
        for k, child in items:
            if isinstance(child, (list, dict)):
                stack.append((child, copy, k, depth + 1))
    return root[0]


def display_json(value: Any, pretty: bool = False) -> str:
    """JSON for a person to read (a page, an export), never raising: unicode kept, nesting
    cut at :data:`MAX_NESTING`, anything JSON cannot carry spelled with ``str``."""
    value = bounded(value)
    if pretty:
        return json.dumps(value, ensure_ascii=False, indent=2, default=str)
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
