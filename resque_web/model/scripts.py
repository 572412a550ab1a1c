"""Lua scripts that read across many keys in one round trip.

Summing 1,000 queue sizes as 1,000 pipelined LLENs costs redis-py more time packing and
parsing than Redis spends answering; one script answers with a handful of numbers. Where a
page needs many names (every queue, to sort them and show the first page), the script
answers with one JSON string (``cjson.encode``): redis-py's pure-Python parser reads one
bulk reply instead of a thousand, and ``json.loads`` splits it in C. Scripts never sort
(Lua compares strings with ``strcoll``, which follows the server's locale: Python sorts)
and never build a string per item beyond the key names they must read.

The scripts touch keys they derive from set members (as Resque's own data model requires),
which standalone Redis allows; Resque does not run on Redis Cluster.
"""

from __future__ import annotations

import json
from typing import Any

# How many of the keys prefix..id exist: EXISTS takes many keys, so one call per 1,000 ids
# (Lua's unpack() takes ~8,000 values) costs about half of an EXISTS call per id.
_COUNT_EXISTING = """
local function count_existing(prefix, ids)
  local keys = {}
  for i, id in ipairs(ids) do keys[i] = prefix .. id end
  local n = 0
  for first = 1, #keys, 1000 do
    n = n + redis.call('EXISTS', unpack(keys, first, math.min(first + 999, #keys)))
  end
  return n
end
"""

# One chunk of a set (queue names, failure list names) and the lengths of the lists its
# members name: SSCAN ... COUNT, so no script call reads more than about SET_CHUNK_SIZE
# members however many are registered (with 1,000,000 queues one SMEMBERS pass blocked
# Redis for seconds). Small sets (listpack, up to 128 members) come whole in one call.
_SET_CHUNK = """
local function set_chunk(set, cursor, count, lengths)
  local reply = redis.call('SSCAN', set, cursor, 'COUNT', count)
  local out = {}
  for _, member in ipairs(reply[2]) do
    out[#out + 1] = member
    for _, around in ipairs(lengths) do
      out[#out + 1] = redis.call('LLEN', around[1] .. member .. around[2])
    end
  end
  return reply[1], #out > 0 and cjson.encode(out) or '[]'
end
"""

# KEYS: a set; ARGV: cursor, count, then a prefix and a suffix per list length to read
# -> {next cursor ("0": done), JSON [member, length..., member, length..., ...]}
SET_CHUNK = (
    _SET_CHUNK
    + """
local lengths = {}
for i = 3, #ARGV, 2 do lengths[#lengths + 1] = {ARGV[i], ARGV[i + 1]} end
local cursor, flat = set_chunk(KEYS[1], ARGV[1], tonumber(ARGV[2]), lengths)
return {cursor, flat}
"""
)

# Key names come in as prefixes from resque_web.keys (the one module that spells them).
# KEYS: queues set, workers set, failed_queues set, failed list, processed, failed counter
# ARGV: queue key prefix (Keys.queue("")), worker key prefix, namespace prefix (Keys.prefix),
#       "0" to skip counting the busy workers, chunk size, the failed-list suffix
#       ("_failed") to also read each queue's <queue>_failed length ("" to skip)
# -> {workers, working (-1 when skipped), plain failed list's length, processed, failed,
#     1/0 whether failures are kept per queue (failed_queues not empty),
#     queues cursor, JSON [name, size(, failed size), ...], failed_queues cursor,
#     JSON [name, length, ...]}: the first chunk of each set; a cursor other than "0" says
#     SET_CHUNK has more to read. Failed sizes only with per-queue lists.
# One pass answers a whole page while the sets fit a chunk: /overview and /queues show
# numbers, a page of queues and the failure lists from this one call.
SUMMARY = (
    _COUNT_EXISTING
    + _SET_CHUNK
    + """
local call = redis.call
local queue_prefix, worker_prefix, prefix = ARGV[1], ARGV[2], ARGV[3]
local count = tonumber(ARGV[5])
local suffix = ARGV[6] or ''
local workers, working = 0, -1
if ARGV[4] ~= '0' then
  local ids = call('SMEMBERS', KEYS[2])
  workers, working = #ids, count_existing(worker_prefix, ids)
else
  workers = call('SCARD', KEYS[2])
end
local multi = call('SCARD', KEYS[3]) > 0
local lengths = {{queue_prefix, ''}}
if multi and suffix ~= '' then lengths[2] = {prefix, suffix} end
local qcursor, queues = set_chunk(KEYS[1], '0', count, lengths)
local fcursor, lists = set_chunk(KEYS[3], '0', count, {{prefix, ''}})
return {workers, working, call('LLEN', KEYS[4]), call('GET', KEYS[5]) or '0',
        call('GET', KEYS[6]) or '0', multi and 1 or 0, qcursor, queues, fcursor, lists}
"""
)

# KEYS: failed list, failed_queues set; ARGV: namespace prefix, chunk size, then optionally
# the bare name of one queue's failure list (``<queue>_failed``) to look for
# -> {plain failed list's length, failed_queues cursor, first chunk of the failure lists
#    (JSON [name, n, ...]; SET_CHUNK reads the rest), 1/0 whether the named list is one
#    (registered in failed_queues; -1 when none was named)}
FAILURE_LISTS = (
    _SET_CHUNK
    + """
local found = -1
if ARGV[3] then found = redis.call('SISMEMBER', KEYS[2], ARGV[3]) end
local cursor, lists = set_chunk(KEYS[2], '0', tonumber(ARGV[2]), {{ARGV[1], ''}})
return {redis.call('LLEN', KEYS[1]), cursor, lists, found}
"""
)

# KEYS: workers set; ARGV: worker key prefix
# -> {JSON [id, run_at, ...], JSON [id, payload, ...]} for every worker holding a job
#    (``worker:<id>`` a non-empty string): its run_at when the payload spells it
#    ``"run_at":"..."``, else the whole payload for Python to decode. MGET, as Resque reads
#    them: a worker key of another type reads as idle, not as an error. Batches stay far
#    below Lua's unpack() limit. Strings only: cjson formats a number slowly.
WORKING = """
local ids = redis.call('SMEMBERS', KEYS[1])
local prefix, marker = ARGV[1], '"run_at":"'
local out, whole = {}, {}
for first = 1, #ids, 1000 do
  local last = math.min(first + 999, #ids)
  local batch = {}
  for i = first, last do batch[#batch + 1] = prefix .. ids[i] end
  local raws = redis.call('MGET', unpack(batch))
  for j = 1, #batch do
    local raw = raws[j]
    if raw and raw ~= '' then
      local _, stop = string.find(raw, marker, 1, true)
      local close = stop and string.find(raw, '"', stop + 1, true)
      if close then
        out[#out + 1] = ids[first + j - 1]
        out[#out + 1] = string.sub(raw, stop + 1, close - 1)
      else
        whole[#whole + 1] = ids[first + j - 1]
        whole[#whole + 1] = raw
      end
    end
  end
end
return {#out > 0 and cjson.encode(out) or '[]', #whole > 0 and cjson.encode(whole) or '[]'}
"""

# KEYS: workers set; ARGV: worker key prefix, "1" to count the busy ones
# -> {JSON array of every worker id (unsorted), busy count or -1}
ROSTER = (
    _COUNT_EXISTING
    + """
local ids = redis.call('SMEMBERS', KEYS[1])
if #ids == 0 then return {'[]', 0} end
local working = ARGV[2] == '1' and count_existing(ARGV[1], ids) or -1
return {cjson.encode(ids), working}
"""
)

# KEYS: failed_queues set; ARGV: queue key prefix, namespace prefix, failed-list suffix,
#       then the names of one page of queues
# -> JSON [multi (1/0), size, failed_size or -1, size, failed_size or -1, ...] in that order.
#    One command with a page of names, not a pipeline of two LLENs per queue: redis-py
#    packs and parses each command of a pipeline on its own.
PAGE_SIZES = """
local call = redis.call
local queue_prefix, prefix, suffix = ARGV[1], ARGV[2], ARGV[3]
local multi = call('SCARD', KEYS[1]) > 0
local out = {multi and 1 or 0}
for i = 4, #ARGV do
  out[#out + 1] = call('LLEN', queue_prefix .. ARGV[i])
  out[#out + 1] = multi and call('LLEN', prefix .. ARGV[i] .. suffix) or -1
end
return cjson.encode(out)
"""

# KEYS: heartbeats hash
# ARGV: head and tail of the keys worker:<id>, worker:<id>:started, stat:processed:<id>,
#       stat:failed:<id> (as resque_web.keys spells them around an id), then worker ids
# -> JSON [[seconds, microseconds], jobs, started, processed, failed, heartbeats], each a
#    list in the order of the ids, false where missing. MGET and HMGET, as Resque reads
#    them: one command for a page of workers instead of a pipeline of six with the keys.
WORKER_ROWS = """
local call = redis.call
local ids = {}
for i = 9, #ARGV do ids[#ids + 1] = ARGV[i] end
local function values(head, tail)
  local keys = {}
  for i, id in ipairs(ids) do keys[i] = head .. id .. tail end
  return call('MGET', unpack(keys))
end
return cjson.encode({
  call('TIME'),
  values(ARGV[1], ARGV[2]),
  values(ARGV[3], ARGV[4]),
  values(ARGV[5], ARGV[6]),
  values(ARGV[7], ARGV[8]),
  call('HMGET', KEYS[1], unpack(ids)),
})
"""


def json_array(reply: Any) -> list[Any]:
    """A script's ``cjson.encode``d array as a list (``[]`` for nothing)."""
    found = json.loads(reply) if reply else []
    return found if isinstance(found, list) else []


# Members of a set read per SSCAN chunk (one script call each).
SET_CHUNK_SIZE = 1000


def set_lengths(
    script: Any,
    key: str,
    lengths: list[tuple[str, str]],
    cursor: str = "0",
    first: Any = None,
) -> dict[str, list[int]]:
    """Every member of the set ``key`` with the lengths of the lists ``prefix + member +
    suffix`` for each pair of ``lengths``, read by :data:`SET_CHUNK` a chunk per call
    (``first``: the chunk another script already read, up to ``cursor``). SSCAN may return
    a member twice across chunks: each is counted once."""
    width = 1 + len(lengths)
    out: dict[str, list[int]] = {}
    flat = json_array(first) if first is not None else None
    while True:
        if flat is None:
            args: list[Any] = [cursor, SET_CHUNK_SIZE]
            for prefix, suffix in lengths:
                args += [prefix, suffix]
            cursor, reply = script(keys=[key], args=args)
            flat = json_array(reply)
        for i in range(0, len(flat), width):
            out[str(flat[i])] = [int(n) for n in flat[i + 1 : i + width]]
        flat = None
        if str(cursor) == "0":
            return out
