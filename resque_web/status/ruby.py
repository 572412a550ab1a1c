"""The two Ruby spellings resque-status puts into a status: ``Hash#inspect`` (a job's
``name`` is ``Thumb({"photo"=>1})``) and ``Time#to_s`` (``Completed at 2026-12-03
20:29:40 +0000``). Ruby 3.1's, since that is what runs resque-status 0.5 beside Resque 3.0.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from ..payload import _ruby_float
from ..times import started

_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\v": "\\v",
    "\f": "\\f",
    "\r": "\\r",
    "\x1b": "\\e",
    '"': '\\"',
    "\\": "\\\\",
}
# Onigmo's [[:print:]] leaves out controls, surrogates, unassigned code points and the
# line/paragraph separators; everything else (format characters, private use, U+0085,
# non-breaking spaces) is printed as it is.
_UNPRINTABLE = frozenset({"Cc", "Cs", "Cn", "Zl", "Zp"})


def _printable(char: str) -> bool:
    return char == "\x85" or unicodedata.category(char) not in _UNPRINTABLE


def inspect_string(text: str) -> str:
    """``String#inspect`` of a UTF-8 string."""
    out = ['"']
    last = len(text) - 1
    for i, char in enumerate(text):
        escaped = _ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
        elif char == "#" and i < last and text[i + 1] in "{$@":
            out.append("\\#")  # would start an interpolation
        elif _printable(char):
            out.append(char)
        elif ord(char) > 0xFFFF:
            out.append(f"\\u{{{ord(char):X}}}")
        else:
            out.append(f"\\u{ord(char):04X}")
    out.append('"')
    return "".join(out)


def inspect(value: Any) -> str:
    """``#inspect`` of a value decoded from JSON, as Ruby 3.1 writes it."""
    if value is None:
        return "nil"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return inspect_string(value)
    if isinstance(value, float):
        return _ruby_float(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(inspect(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{inspect(k)}=>{inspect(v)}" for k, v in value.items()) + "}"
    return inspect_string(str(value))


def to_s(value: Any) -> str:
    """``"#{value}"``: how a number lands in a message (``total=0``, ``total=2.5``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _ruby_float(value)
    if isinstance(value, (str, int)):
        return str(value)
    return inspect(value)


def time_to_s(now: float | None = None) -> str:
    """``Time.now.to_s``: ``2026-12-03 20:29:40 +0000`` in the local zone."""
    return started(now)
