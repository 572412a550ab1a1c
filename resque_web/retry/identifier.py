"""resque-retry's job identity: ``Digest::SHA1.hexdigest(args.join('-'))``, in Python.

A job's attempt key is ``resque-retry:<class>:<identifier>``, so Ruby and Python workers
share one counter only if both spell the arguments alike. ``Array#join`` writes strings
as they are, integers in decimal, floats as ``Float#to_s`` (``1.0e+20``), ``nil`` as
nothing, ``true``/``false``, nested arrays joined with the same ``-``, and hashes as
``Hash#inspect`` (``{"cents"=>1999, "note"=>"x"}``, Ruby 3.1's spelling). All of it is
reproduced here and pinned against Ruby 3.1.2 in the tests.

Two things cannot be reproduced from the arguments alone (see the README's "Retries"):
``String#inspect`` inside a hash escapes characters by the Unicode version of the Ruby
(3.1: Unicode 13) and, when the worker's locale is not UTF-8 (``LANG=C``), escapes every
non-ASCII character too. A class that needs a key independent of both overrides
``retry_identifier`` with :func:`json_retry_identifier` here and, in Ruby,
``Digest::SHA1.hexdigest(Resque.encode(args))``: the SHA-1 of the arguments' JSON, which both
sides write byte for byte alike.
"""

from __future__ import annotations

import hashlib
import unicodedata
from typing import Any

from .. import payload as jsonp
from ..payload import ruby_float

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


def ruby_to_s(value: Any) -> str:
    """``to_s`` of a decoded JSON value, as ``Array#join`` calls it on each element."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ruby_join(value)
    if isinstance(value, dict):
        return ruby_inspect(value)
    return _scalar(value) if not isinstance(value, str) else value


def ruby_join(values: list[Any] | tuple[Any, ...], separator: str = "-") -> str:
    """``Array#join(separator)``: nested arrays are joined in place, recursively."""
    return separator.join(
        ruby_join(v, separator) if isinstance(v, (list, tuple)) else ruby_to_s(v) for v in values
    )


def ruby_inspect(value: Any) -> str:
    """``#inspect`` of a decoded JSON value, as Ruby 3.1 writes it inside ``Hash#to_s``."""
    if value is None:
        return "nil"
    if isinstance(value, str):
        return _inspect_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(ruby_inspect(v) for v in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{ruby_inspect(k)}=>{ruby_inspect(v)}" for k, v in value.items())
        return "{" + ", ".join(pairs) + "}"
    return _scalar(value)


def _scalar(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return ruby_float(value)
    return str(value)


def _inspect_string(text: str) -> str:
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


def retry_identifier(args: list[Any] | tuple[Any, ...]) -> str | None:
    """resque-retry's default identifier: the SHA-1 of the joined arguments, or None when
    they join to nothing (no arguments, ``[nil]``, ``[[]]``)."""
    joined = ruby_join(args)
    if not joined:
        return None
    return hashlib.sha1(joined.encode("utf-8", errors="surrogatepass")).hexdigest()


def json_retry_identifier(args: list[Any] | tuple[Any, ...]) -> str | None:
    """A stable identifier for any arguments: the SHA-1 of their JSON as Resque encodes it.
    Ruby's twin: ``def self.retry_identifier(*args) = Digest::SHA1.hexdigest(Resque.encode(args))``
    (with ``MultiJson.use(:json_gem)``). None without arguments, as the default."""
    if not args:
        return None
    return hashlib.sha1(
        jsonp.encode(list(args), "args").encode("utf-8", "surrogatepass")
    ).hexdigest()
