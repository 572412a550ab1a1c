"""resque-retry's job identity: ``Digest::SHA1.hexdigest(args.join('-'))``, in Python.

A job's attempt key is ``resque-retry:<class>:<identifier>``, so Ruby and Python workers
share one counter only if both spell the arguments alike. ``Array#join`` writes strings
as they are, integers in decimal, floats as ``Float#to_s`` (``1.0e+20``), ``nil`` as
nothing, ``true``/``false``, nested arrays joined with the same ``-``, and hashes as
``Hash#inspect`` (``{"cents"=>1999, "note"=>"x"}``, Ruby 3.1's spelling, shared with
resque-status in :mod:`resque_web.ruby_inspect`). All of it is reproduced and pinned
against Ruby 3.1.2 in the tests.

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
from typing import Any

from .. import payload as jsonp
from ..ruby_inspect import inspect as ruby_inspect
from ..ruby_inspect import scalar_to_s


def ruby_to_s(value: Any) -> str:
    """``to_s`` of a decoded JSON value, as ``Array#join`` calls it on each element."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ruby_join(value)
    if isinstance(value, dict):
        return ruby_inspect(value)
    return scalar_to_s(value) if not isinstance(value, str) else value


def ruby_join(values: list[Any] | tuple[Any, ...], separator: str = "-") -> str:
    """``Array#join(separator)``: nested arrays are joined in place, recursively."""
    return separator.join(
        ruby_join(v, separator) if isinstance(v, (list, tuple)) else ruby_to_s(v) for v in values
    )


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
