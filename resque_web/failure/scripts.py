"""Lua scripts that check a failure's identity and change it in one atomic step.

Each operation names the failures it acts on by index *and* SHA-1 of the stored value. The
script verifies every one before it changes anything, so a click never hits a failure that
moved into the clicked row, and a chunk is applied whole or not at all.
"""

from __future__ import annotations

# KEYS[1] failure list, KEYS[2] the `queues` set.
# ARGV[1] tombstone (unique per call), then groups of 6:
#   index, sha1, new value ("" = remove the failure), queue name, queue key, item ("" = no push)
# Returns -1 - (position of the first stale group) when any check fails (nothing changed),
# else the number of failures removed.
APPLY = """
local tomb = ARGV[1]
local n = (#ARGV - 1) / 6
for i = 0, n - 1 do
  local b = 2 + i * 6
  local cur = redis.call('LINDEX', KEYS[1], tonumber(ARGV[b]))
  if (not cur) or redis.sha1hex(cur) ~= ARGV[b + 1] then
    return -1 - i
  end
end
local removed = 0
for i = 0, n - 1 do
  local b = 2 + i * 6
  if ARGV[b + 2] == '' then
    redis.call('LSET', KEYS[1], tonumber(ARGV[b]), tomb)
    removed = removed + 1
  else
    redis.call('LSET', KEYS[1], tonumber(ARGV[b]), ARGV[b + 2])
  end
  if ARGV[b + 5] ~= '' then
    redis.call('SADD', KEYS[2], ARGV[b + 3])
    redis.call('RPUSH', ARGV[b + 4], ARGV[b + 5])
  end
end
if removed > 0 then
  redis.call('LREM', KEYS[1], removed, tomb)
end
return removed
"""
