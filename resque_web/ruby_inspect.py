"""Ruby 3.1's ``#inspect`` of a value decoded from JSON, which two plugins write into Redis:
resque-retry hashes ``Array#join`` (a hash argument joins as ``Hash#inspect``) into its
attempt keys, and resque-status names a job ``Thumb({"photo"=>1})``. One spelling for both,
pinned against Ruby 3.1.2 over every code point (tests/test_retry_bytes.py).

``String#inspect`` escapes by the Unicode version of the Ruby (3.1: Unicode 13) and, under
a non-UTF-8 locale (``LANG=C``), every non-ASCII character too: neither can be told from the
value, so this is the UTF-8 locale's spelling (see the README's "Retries").
"""

from __future__ import annotations

import unicodedata
from typing import Any

from .payload import ruby_float

# String#inspect's own escapes; other unprintable characters become \uXXXX or \u{XXXXX}.
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\f": "\\f",
    "\v": "\\v",
    "\b": "\\b",
    "\a": "\\a",
    "\x1b": "\\e",
}
# "#{", "#$" and "#@" would interpolate in a Ruby literal, so inspect escapes the "#".
_INTERPOLATION = frozenset("{$@")
# Not printable for Ruby (Onigmo): controls, surrogates, unassigned, and the two separators
# that are whitespace without being blank. U+0085 (NEL) is a control Ruby leaves as it is.
_UNPRINTABLE_CATEGORIES = frozenset({"Cc", "Cs", "Cn"})
_UNPRINTABLE_EXTRA = frozenset({"\u2028", "\u2029"})
_PRINTABLE_CONTROLS = frozenset({"\x85"})


def inspect(value: Any) -> str:
    """``#inspect`` of a decoded JSON value (``nil``, ``1.0e+20``, ``{"k"=>[1, "a"]}``)."""
    if value is None:
        return "nil"
    if isinstance(value, str):
        return inspect_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(inspect(v) for v in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{inspect(k)}=>{inspect(v)}" for k, v in value.items())
        return "{" + ", ".join(pairs) + "}"
    return scalar_to_s(value)


def scalar_to_s(value: Any) -> str:
    """``to_s`` of a JSON scalar other than a string or nil: ``true``, ``2``, ``2.5``."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return ruby_float(value)
    return str(value)


def inspect_string(text: str) -> str:
    """``String#inspect`` of a UTF-8 string."""
    out = ['"']
    last = len(text) - 1
    for i, char in enumerate(text):
        escaped = _ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
        elif char == "#" and i < last and text[i + 1] in _INTERPOLATION:
            out.append("\\#")
        elif _unprintable(char):
            code = ord(char)
            out.append(f"\\u{code:04X}" if code < 0x10000 else f"\\u{{{code:X}}}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _unprintable(char: str) -> bool:
    if char.isascii():
        return not (" " <= char <= "~")
    if char in _PRINTABLE_CONTROLS:
        return False
    return char in _UNPRINTABLE_EXTRA or unicodedata.category(char) in _UNPRINTABLE_CATEGORIES
