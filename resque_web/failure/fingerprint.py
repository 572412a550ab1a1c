"""A failure's *fingerprint*: its exception class and its message with the variable parts
masked, so "Couldn't find User with 'id'=42" and "...=97" land in one group.

Masked: URLs' paths and query values (scheme and host stay: which service failed matters),
e-mail addresses, quoted values, UUIDs, hex strings and every run of digits.
"""

from __future__ import annotations

import hashlib
import re

# Only the start of a long message decides its group; it also bounds the regex work.
MAX_MESSAGE = 500

_URL = re.compile(r"\b([a-z][a-z0-9+.-]*://[^\s/?#'\"<>]+)([^\s'\"<>]*)", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# An opening quote follows no letter (so the apostrophe in "Couldn't" opens nothing);
# Ruby's older messages quote `like this'.
_QUOTED = re.compile(r"(?<!\w)(?:'[^'\n]*'|\"[^\"\n]*\"|`[^'`\n]*')")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
_HEX = re.compile(r"\b(?:0x[0-9a-f]+|(?=[a-f]*\d)[0-9a-f]{8,})\b", re.IGNORECASE)
_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_ANY_DIGIT = re.compile(r"\d")
_QUOTES = ("'", '"', "`")


def _mask_url(match: re.Match[str]) -> str:
    path, _, query = match.group(2).partition("?")
    path = _mask_plain(path)
    if query:
        pairs = [p.split("=", 1)[0] + "=?" if "=" in p else "?" for p in query.split("&")]
        path += "?" + "&".join(pairs)
    return match.group(1) + path


def _mask_plain(text: str) -> str:
    # A UUID needs its dashes (its hex digits may all be letters); the other two patterns
    # need a digit ("0x" has one). The failure index fingerprints every distinct message.
    if "-" in text:
        text = _UUID.sub("<uuid>", text)
    if not _ANY_DIGIT.search(text):
        return text
    text = _HEX.sub("<hex>", text)
    return _DIGITS.sub("<n>", text)


def normalize(message: str) -> str:
    """The message with its variable parts masked (whitespace collapsed). A pattern runs
    only when the character it cannot match without is there; the result is the same."""
    text = message[:MAX_MESSAGE]
    if "://" in text:
        text = _URL.sub(_mask_url, text)
    if "@" in text:
        text = _EMAIL.sub("<email>", text)
    if any(quote in text for quote in _QUOTES):
        text = _QUOTED.sub(lambda m: m.group(0)[0] + "?" + m.group(0)[-1], text)
    text = _mask_plain(text)
    # str.split() and re's \s agree on what is whitespace (both Py_UNICODE_ISSPACE).
    return " ".join(text.split())


def group_id(exception: str, normalized: str) -> str:
    """A short stable id for (exception, normalized message): what ``?group=`` carries."""
    return hashlib.sha1(f"{exception}\n{normalized}".encode(errors="surrogatepass")).hexdigest()[
        :12
    ]
