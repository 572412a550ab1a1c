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

# Every failure list: the plain ``failed`` list's length, and the multi-queue backend's
# lists (named in ``failed_queues``) with their lengths, as one flat JSON [name, n, ...].
_FAILURE_LISTS = """
local function failure_lists(failed_key, failed_queues_key, prefix)
  local plain = redis.call('LLEN', failed_key)
  local flat, listed = {}, plain
  for _, name in ipairs(redis.call('SMEMBERS', failed_queues_key)) do
    local n = redis.call('LLEN', prefix .. name)
    flat[#flat + 1] = name
    flat[#flat + 1] = n
    listed = listed + n
  end
  return plain, #flat > 0 and cjson.encode(flat) or '[]', listed, #flat > 0
end
"""

# Key names come in as prefixes from resque_web.keys (the one module that spells them).
# KEYS: queues set, workers set, failed_queues set, failed list, processed, failed counter
# ARGV: queue key prefix (Keys.queue("")), worker key prefix, namespace prefix (Keys.prefix),
#       "1" to also return every queue's size, "0" to skip counting the busy workers,
#       the failed-list suffix ("_failed")
# -> {queues, pending, workers, working (-1 when skipped), failed_listed, processed,
#     failed, plain failed list's length, failure lists (JSON [name, n, ...])
#     [, names (a JSON array), sizes, failed sizes (arrays of integers)]} in the same
#     (unsorted) order; failed sizes (each queue's <queue>_failed) only with per-queue
#     lists. Sizes are integer replies: cjson formats numbers slowly, and Redis' time is
#     what many concurrent pages share.
# One pass answers a whole page: /overview and /queues show numbers, a page of queues and
# the failure lists from this one call.
SUMMARY = (
    _COUNT_EXISTING
    + _FAILURE_LISTS
    + """
local call = redis.call
local queue_prefix, worker_prefix, prefix = ARGV[1], ARGV[2], ARGV[3]
local with_sizes = ARGV[4] == '1'
local count_working = ARGV[5] ~= '0'
local suffix = ARGV[6]
local queues = call('SMEMBERS', KEYS[1])
local plain, lists, listed, multi = failure_lists(KEYS[4], KEYS[3], prefix)
local pending = 0
local sizes, failed_sizes = {}, {}
for i, name in ipairs(queues) do
  local size = call('LLEN', queue_prefix .. name)
  pending = pending + size
  if with_sizes then
    sizes[i] = size
    if multi then failed_sizes[i] = call('LLEN', prefix .. name .. suffix) end
  end
end
local workers, working = 0, -1
if count_working then
  local ids = call('SMEMBERS', KEYS[2])
  workers, working = #ids, count_existing(worker_prefix, ids)
else
  workers = call('SCARD', KEYS[2])
end
local out = {#queues, pending, workers, working, listed,
             call('GET', KEYS[5]) or '0', call('GET', KEYS[6]) or '0', plain, lists}
if with_sizes and #queues > 0 then
  out[10], out[11], out[12] = cjson.encode(queues), sizes, multi and failed_sizes or {}
end
return out
"""
)

# KEYS: failed list, failed_queues set; ARGV: namespace prefix, then optionally the bare
# name of one queue's failure list (``<queue>_failed``) to look for
# -> {plain failed list's length, failure lists (JSON [name, n, ...]), 1/0 whether the
#    named list is registered or exists (-1 when none was named)}
FAILURE_LISTS = (
    _FAILURE_LISTS
    + """
local plain, lists = failure_lists(KEYS[1], KEYS[2], ARGV[1])
local found = -1
if ARGV[2] then
  found = (redis.call('SISMEMBER', KEYS[2], ARGV[2]) == 1
           or redis.call('EXISTS', ARGV[1] .. ARGV[2]) == 1) and 1 or 0
end
return {plain, lists, found}
"""
)

# KEYS: a set -> its members as one JSON array (unsorted)
MEMBERS = """
local members = redis.call('SMEMBERS', KEYS[1])
if #members == 0 then return '[]' end
return cjson.encode(members)
"""

# KEYS: queues set, failed_queues set
# ARGV: queue key prefix, namespace prefix, failed-list suffix ("_failed")
# -> JSON [name, size, failed_size or -1, ...] for every registered queue (unsorted)
QUEUE_SIZES = """
local call = redis.call
local queue_prefix, prefix, suffix = ARGV[1], ARGV[2], ARGV[3]
local multi = call('SCARD', KEYS[2]) > 0
local out = {}
for _, name in ipairs(call('SMEMBERS', KEYS[1])) do
  out[#out + 1] = name
  out[#out + 1] = call('LLEN', queue_prefix .. name)
  out[#out + 1] = multi and call('LLEN', prefix .. name .. suffix) or -1
end
if #out == 0 then return '[]' end
return cjson.encode(out)
"""

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
