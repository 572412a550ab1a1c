"""Taking the next job: one round trip that also finishes the previous one.

Resque 3.0 spends four round trips per job (``GET pause-all-workers``, ``LPOP``, ``SET
worker:<id>``, and the done pipeline). One Lua script does the same commands in the same
order: when a job was just done, ``DEL worker:<id>`` and the two ``INCRBY stat:processed``;
then the pause check; then ``LPOP`` of each queue in priority order and ``SET worker:<id>``
for the job taken. The worker key is spliced from the popped bytes; when those bytes are not
what Ruby would re-encode (``1e20``, spaces, not JSON at all) the worker corrects the key with
Ruby's encoding before it runs the job, so what Redis holds is always Ruby's format.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

import redis

from .. import payload as jsonp
from .. import times
from ..job import Job
from ..keys import Keys
from .queue_spec import QueueSpec
from .registration import Registration, busy_value

# KEYS: 1 worker:<id>, 2 stat:processed, 3 stat:processed:<id>, 4 pause-all-workers,
#       5 queues, 6.. queue lists in priority order.
# ARGV: 1 the queue-key prefix when taking every queue ("*": SMEMBERS queues in byte order,
#       no leading ".") else "", 2 the queue-key prefix, 3 resque-pause's per-queue pause
#       key prefix (pause:queue:), 4 its global pause key (pause:all), 5.. the JSON-encoded
#       names of KEYS[6..], then "1" to finish the previous job first, then run_at (the two
#       that change come last, so the rest of the command is encoded once). A queue paused
#       with resque-pause is skipped (checked only when it holds jobs, so an idle worker's
#       poll costs no more); its global pause pauses the worker like pause-all-workers.
# Reply: {status (0 idle, 1 paused, 2 job), index, item, worker key written (0/1), queue name,
#         keys that are not lists...}.
RESERVE_LUA = r"""
local done, run_at, every = ARGV[#ARGV - 1], ARGV[#ARGV], ARGV[1]
if done == '1' then
  redis.call('DEL', KEYS[1])
  redis.call('INCRBY', KEYS[2], 1)
  redis.call('INCRBY', KEYS[3], 1)
end
local pause = redis.call('GET', KEYS[4])
if pause and string.lower(string.match(pause, '^[%s%z]*(.-)[%s%z]*$')) == 'true' then
  return {1}
end
if redis.call('EXISTS', ARGV[4]) == 1 then return {1} end
local queue_prefix, pause_prefix = ARGV[2], ARGV[3]
local function bytewise(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
local names, lists, quoted = {}, {}, {}
if every ~= '' then
  local all = redis.call('SMEMBERS', KEYS[5])
  table.sort(all, bytewise)
  for _, name in ipairs(all) do
    if string.sub(name, 1, 1) ~= '.' then
      table.insert(names, name)
      table.insert(lists, every .. name)
      if string.find(name, '[%z\1-\31"\\]') then
        table.insert(quoted, '')
      else
        table.insert(quoted, '"' .. name .. '"')
      end
    end
  end
else
  for i = 6, #KEYS do
    table.insert(names, '')
    table.insert(lists, KEYS[i])
    table.insert(quoted, ARGV[i - 1])
  end
end
local reply = {0, 0, '', 0, ''}
local bad = {}
for i, key in ipairs(lists) do
  local item = redis.pcall('LLEN', key)
  if type(item) ~= 'table' and item > 0 then
    if redis.call('EXISTS', pause_prefix .. string.sub(key, #queue_prefix + 1)) == 1 then
      item = false
    else
      item = redis.call('LPOP', key)
    end
  else
    item = type(item) == 'table' and item or false
  end
  if type(item) == 'table' then
    table.insert(bad, key)
  elseif item then
    local written = 0
    if quoted[i] ~= '' then
      redis.call('SET', KEYS[1],
        '{"queue":' .. quoted[i] .. ',"run_at":"' .. run_at .. '","payload":' .. item .. '}')
      written = 1
    end
    reply = {2, i, item, written, names[i]}
    break
  end
end
for _, key in ipairs(bad) do table.insert(reply, key) end
return reply
"""

PAUSED = "paused"

# A worker key we wrote around a payload that is not JSON: recover queue and raw text.
_SPLICED = re.compile(r'\A\{"queue":("(?:[^"\\]|\\.)*"),"run_at":"[^"]*","payload":(.*)\}\Z', re.S)
# A float in exponent form: Ruby spells it 1.0e+20 where Python says 1e+20.
_EXPONENT = re.compile(r"[0-9][eE][-+]?[0-9]")
_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


@dataclass
class Reserved:
    """A job taken off a queue. ``payload`` is the decoded JSON, or the raw text if not JSON;
    ``busy`` is the worker key's value in Ruby's format, ``stored`` what Redis holds now."""

    queue: str
    raw: str
    payload: Any
    job: Job
    busy: str
    stored: str | None
    run_at: str

    @property
    def busy_is_stored(self) -> bool:
        return self.stored == self.busy


def ruby_json(raw: str, decoded: Any) -> str:
    """What Ruby stores when it re-encodes ``decoded``: usually ``raw`` itself, found cheaply."""
    if not _EXPONENT.search(raw):
        try:
            if _compact(decoded) == raw:
                return raw
        except (TypeError, ValueError):
            pass
    return jsonp.encode(decoded, "payload")


def make_reserved(queue: str, raw: str, run_at: str, stored: str | None) -> Reserved:
    """Wrap a popped item; never raises, whatever the bytes."""
    try:
        decoded = jsonp.decode(raw)
        encoded = ruby_json(raw, decoded)
    except (jsonp.PayloadError, TypeError, ValueError) as exc:  # NaN is not JSON to Ruby
        job = Job(queue, None, raw)
        job.error = str(exc) if isinstance(exc, jsonp.PayloadError) else f"not JSON: {exc}"
        return Reserved(queue, raw, raw, job, busy_value(queue, run_at, raw), stored, run_at)
    busy = f'{{"queue":{quoted(queue)},"run_at":"{run_at}","payload":{encoded}}}'
    return Reserved(queue, raw, decoded, Job(queue, decoded, raw), busy, stored, run_at)


@functools.lru_cache(maxsize=256)
def quoted(queue: str) -> str:
    """A queue name as JSON (cached: a worker sees few names, once per job each)."""
    return jsonp.encode(queue)


def from_busy(value: str) -> Reserved:
    """The job a worker key names (a reply lost to a dropped connection after the script ran)."""
    try:
        data = jsonp.decode(value)
    except jsonp.PayloadError:
        data = None
    if isinstance(data, dict) and "payload" in data:
        queue = data.get("queue") if isinstance(data.get("queue"), str) else ""
        payload = data["payload"]
        raw = payload if isinstance(payload, str) else jsonp.encode(payload)
        run_at = str(data.get("run_at") or times.run_at())
        return make_reserved(queue, raw, run_at, value)
    match = _SPLICED.match(value)
    if match:
        return make_reserved(jsonp.decode(match.group(1)), match.group(2), times.run_at(), value)
    return make_reserved("", value, times.run_at(), value)


def pack(*args: str | int) -> bytes:
    """RESP bulk strings for ``args`` (without the array header)."""
    out = []
    for arg in args:
        data = str(arg).encode("utf-8", errors="surrogateescape")
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


class ScriptConnection:
    """The reserve script on a connection of its own, called at the connection level.

    At thousands of jobs a second redis-py's pool and command layers cost several times the
    round trip itself; one connection used by one thread needs neither, and the command is
    mostly encoded once. The connection reconnects on its own after an error; the script is
    loaded again after a Redis restart (NOSCRIPT).
    """

    def __init__(self, client: redis.Redis, text: str) -> None:
        pool = client.connection_pool
        self.conn = pool.connection_class(**pool.connection_kwargs)
        self.text = text
        self.sha = hashlib.sha1(text.encode()).hexdigest()

    def head(self, keys: list[str], fixed_args: list[str], varying: int) -> bytes:
        """The encoded command up to the ``varying`` last arguments."""
        count = 3 + len(keys) + len(fixed_args) + varying
        return b"*%d\r\n" % count + pack("EVALSHA", self.sha, len(keys), *keys, *fixed_args)

    def __call__(self, head: bytes, *varying: str) -> Any:
        command = head + pack(*varying)
        try:
            return self._send(command)
        except redis.exceptions.NoScriptError:
            self.conn.send_command("SCRIPT", "LOAD", self.text)
            self.conn.read_response()
            return self._send(command)

    def _send(self, command: bytes) -> Any:
        # connect() returns at once when connected; a Sentinel-managed connection asks the
        # sentinels for the master here (send_packed_command alone would not).
        self.conn.connect()
        self.conn.send_packed_command([command])
        return self.conn.read_response()

    def close(self) -> None:
        self.conn.disconnect()


class RunAt:
    """``times.run_at()``, formatted once per second rather than once per job."""

    def __init__(self) -> None:
        self.second = -1
        self.text = ""

    def __call__(self) -> str:
        now = int(time.time())
        if now != self.second:
            self.second, self.text = now, times.run_at(now)
        return self.text


class Reserver:
    """Runs the reserve script for one worker."""

    def __init__(
        self,
        client: redis.Redis,
        keys: Keys,
        registration: Registration,
        spec: QueueSpec,
        log: logging.Logger,
    ) -> None:
        self.redis = client
        self.keys = keys
        self.spec = spec
        self.log = log
        self.script = ScriptConnection(client, RESERVE_LUA)
        self.run_at = RunAt()
        self.fixed_keys = [
            registration.busy_key,
            keys.processed,
            keys.worker_stat("processed", registration.id),
            keys.pause_all_workers,
            keys.queues,
        ]
        self.every_prefix = keys.queue("") if spec.every_queue else ""
        self.static: tuple[list[str], bytes] | None = None
        if not spec.dynamic or spec.every_queue:
            self.static = self._command(list(spec.names) if not spec.every_queue else [])
        self.warned: set[str] = set()

    def _command(self, names: list[str]) -> tuple[list[str], bytes]:
        lists = [self.keys.queue(n) for n in names]
        quoted = [jsonp.encode(n) for n in names]
        fixed = [
            self.every_prefix,
            self.keys.queue(""),
            self.keys.queue_paused(""),
            self.keys.queues_paused_all,
        ]
        head = self.script.head([*self.fixed_keys, *lists], [*fixed, *quoted], 2)
        return names, head

    def reserve(self, finish_previous: bool) -> Reserved | str | None:
        """The next job, ``PAUSED``, or None when every queue is empty."""
        run_at = self.run_at()
        if self.static is not None:
            names, head = self.static
        else:
            names, head = self._command(self.spec.resolve(self.redis.smembers(self.keys.queues)))
        reply = self.script(head, "1" if finish_previous else "0", run_at)
        if len(reply) > 5:
            self._warn_not_lists(reply[5:])
        status = int(reply[0])
        if status == 1:
            return PAUSED
        if status != 2:
            return None
        index, item, written, name = int(reply[1]), reply[2], int(reply[3]), reply[4]
        queue = name if self.every_prefix else names[index - 1]
        stored = None
        if written:
            stored = f'{{"queue":{quoted(queue)},"run_at":"{run_at}","payload":{item}}}'
        return make_reserved(queue, item, run_at, stored)

    def close(self) -> None:
        self.script.close()

    def _warn_not_lists(self, keys: list[str]) -> None:
        for key in keys:
            if key not in self.warned:
                self.warned.add(key)
                self.log.error("Skipping %s: it is not a list (WRONGTYPE), so not a queue", key)
