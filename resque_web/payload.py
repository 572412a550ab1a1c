"""JSON as Ruby Resque writes it, so Ruby and Python producers store the same bytes.

Ruby's ``JSON.generate`` is compact (no spaces), keeps raw UTF-8, keeps key order and spells
floats as Ruby's ``Float#to_s`` does (``1.0e+20``, not ``1e+20``). Reading is forgiving: data
in Redis may have been written by anything, so decoding never raises.
"""

from __future__ import annotations

import json
import math
from typing import Any

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_string = json.encoder.py_encode_basestring  # type: ignore[attr-defined]


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


def ruby_float(value: float) -> str:
    """Ruby's ``Float#to_s`` (and ``#inspect``), for code that spells values as Ruby does."""
    return _ruby_float(value)


def _needs_ruby_floats(value: Any, where: str) -> bool:
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
    if isinstance(value, (list, tuple)):
        found = False
        for i, item in enumerate(value):
            found = _needs_ruby_floats(item, f"{where}[{i}]") or found
        return found
    if isinstance(value, dict):
        found = False
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(
                    f"{where} has a key {key!r} of type {type(key).__name__}; "
                    "JSON object keys must be strings"
                )
            found = _needs_ruby_floats(item, f"{where}[{key!r}]") or found
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
    if _needs_ruby_floats(payload["args"], "args"):
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
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise PayloadError(f"the value is not JSON ({exc})") from None


def to_text(raw: str | bytes | None) -> str:
    """Stored bytes as text for display: invalid UTF-8 becomes U+FFFD instead of an error."""
    if raw is None:
        return ""
    if isinstance(raw, bytes):
        return raw.decode("utf-8", errors="replace")
    return raw
