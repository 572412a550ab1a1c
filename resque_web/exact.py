"""Redis values as text, byte for byte: names and records that are not UTF-8 round-trip.

Redis holds bytes; Ruby writes whatever bytes a job carried. Decoding them with
replacement characters (what redis-py's ``errors="replace"`` does) loses them: two queues
``a\\xff`` and ``a\\xfe`` both read as ``a\\ufffd``, an action on either reaches the key
``a\\xef\\xbf\\xbd`` (a third queue), and a record's SHA-1 no longer matches the one
Redis' Lua computes on the stored bytes. So every connection decodes with the error
handler :data:`ERRORS`: an invalid byte becomes a lone surrogate (PEP 383's
``surrogateescape``) and goes back to the same byte when the text is sent to Redis again.
Lone surrogates that did not come from a byte (a JSON ``"\\ud800"`` escape) are encoded
as ``surrogatepass`` does, so encoding never fails.

Text shown to a person goes through :func:`display`, which spells such bytes ``\\xFF``.
"""

from __future__ import annotations

import codecs
import re

ERRORS = "resque_web.exact"

_ESCAPED = re.compile("[\udc80-\udcff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


_SURROGATEESCAPE = codecs.lookup_error("surrogateescape")


def _handler(error: UnicodeError) -> tuple[str | bytes, int]:
    if isinstance(error, UnicodeDecodeError):
        return _SURROGATEESCAPE(error)
    if isinstance(error, UnicodeEncodeError):
        out = bytearray()
        for char in error.object[error.start : error.end]:
            code = ord(char)
            if 0xDC80 <= code <= 0xDCFF:
                out.append(code - 0xDC00)
            else:
                out += char.encode("utf-8", "surrogatepass")
        return bytes(out), error.end
    raise error


codecs.register_error(ERRORS, _handler)


def to_bytes(text: str) -> bytes:
    """The bytes Redis holds for ``text`` read through an :data:`ERRORS` connection."""
    return text.encode("utf-8", ERRORS)


def from_bytes(data: bytes) -> str:
    return data.decode("utf-8", ERRORS)


def is_exact_text(text: str) -> bool:
    """Is ``text`` plain UTF-8 text (no byte that was not)? Then a form can carry it."""
    return text.isascii() or _SURROGATE.search(text) is None


def display(text: str) -> str:
    """``text`` for a page: a byte that was not UTF-8 as ``\\xFF``, any other lone
    surrogate as U+FFFD (a page must be valid UTF-8)."""
    if is_exact_text(text):
        return text
    text = _ESCAPED.sub(lambda m: f"\\x{ord(m.group(0)) - 0xDC00:02X}", text)
    return _SURROGATE.sub("\ufffd", text)
