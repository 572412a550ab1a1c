"""Lua scripts that check a failure's identity and change it in one atomic step.

Each operation names the failures it acts on by index *and* SHA-1 of the stored value. The
script verifies every one before it changes anything, so a click never hits a failure that
moved into the clicked row, and a chunk is applied whole or not at all.

A removal may *hold* what it removes (the undo window): the removed records go to a holding
list with a TTL in the same script, so no failure is ever only in Python's hands. Removals
and in-place rewrites (a retry's ``retried_at``) are logged by position, so every dashboard
process's failure index can follow them without reading the list again.
"""

from __future__ import annotations

# KEYS[1] failure list, KEYS[2] the `queues` set, KEYS[3] holding list, KEYS[4] change
# log, KEYS[5] its counter.
# ARGV[1] tombstone (unique per call), ARGV[2] holding TTL in seconds ("0": do not hold),
# ARGV[3] rewrite-log cap, ARGV[4] "edit" when the rewrites change more than the retried
# flag (else ""), then groups of 6:
#   index, sha1, new value ("" = remove the failure), queue name, queue key, item ("" = no push)
# Returns -1 - (position of the first stale group) when any check fails (nothing changed),
# else the number of failures removed.
APPLY = """
local tomb = ARGV[1]
local ttl = tonumber(ARGV[2])
local cap = tonumber(ARGV[3])
local n = (#ARGV - 4) / 6
for i = 0, n - 1 do
  local b = 5 + i * 6
  local cur = redis.call('LINDEX', KEYS[1], tonumber(ARGV[b]))
  if (not cur) or redis.sha1hex(cur) ~= ARGV[b + 1] then
    return -1 - i
  end
end
local removed = {}
local rewritten = {}
local seen = {}
for i = 0, n - 1 do
  local b = 5 + i * 6
  local index = tonumber(ARGV[b])
  if ARGV[b + 2] == '' then
    if ttl > 0 then
      redis.call('RPUSH', KEYS[3], redis.call('LINDEX', KEYS[1], index))
    end
    redis.call('LSET', KEYS[1], index, tomb)
    removed[#removed + 1] = index
    seen[index] = ARGV[b + 1]
  else
    redis.call('LSET', KEYS[1], index, ARGV[b + 2])
    local new = ARGV[4] == 'edit' and '' or redis.sha1hex(ARGV[b + 2])
    rewritten[#rewritten + 1] = {index, ARGV[b + 1] .. ':' .. new}
  end
  if ARGV[b + 5] ~= '' then
    redis.call('SADD', KEYS[2], ARGV[b + 3])
    redis.call('RPUSH', ARGV[b + 4], ARGV[b + 5])
  end
end
if #removed > 0 then
  redis.call('LREM', KEYS[1], #removed, tomb)
  if ttl > 0 then
    redis.call('EXPIRE', KEYS[3], ttl)
  end
end
-- The change log: removals first, highest position first (so each is a position in the
-- list as the ones before it left it), as "<-1 - position>:<SHA-1 of the removed value>";
-- then rewrites, as "<position in the list after the removals>:<old SHA-1>:<new SHA-1>",
-- the new SHA-1 left out when the rewrite changed more than the retried flag (an edited
-- retry): an index cannot follow that from the log and reads the list again.
table.sort(removed, function(a, b) return a > b end)
for _, index in ipairs(removed) do
  redis.call('RPUSH', KEYS[4], (-1 - index) .. ':' .. seen[index])
end
for _, change in ipairs(rewritten) do
  local shift = 0
  for _, gone in ipairs(removed) do
    if gone < change[1] then
      shift = shift + 1
    end
  end
  redis.call('RPUSH', KEYS[4], (change[1] - shift) .. ':' .. change[2])
end
if #removed + #rewritten > 0 then
  redis.call('LTRIM', KEYS[4], -cap, -1)
  redis.call('INCRBY', KEYS[5], #removed + #rewritten)
end
return #removed
"""

# A clear that can be undone: the whole list becomes the holding list (O(1)); workers that
# fail a job meanwhile start a new list. KEYS[1] failure list, KEYS[2] holding list.
# ARGV[1] TTL. Returns how many failures were cleared.
CLEAR_HOLD = """
local n = redis.call('LLEN', KEYS[1])
if n == 0 then
  return 0
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  local items = redis.call('LRANGE', KEYS[1], 0, -1)
  for _, item in ipairs(items) do
    redis.call('RPUSH', KEYS[2], item)
  end
  redis.call('DEL', KEYS[1])
else
  redis.call('RENAME', KEYS[1], KEYS[2])
end
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[1]))
return n
"""

# Undo: move up to ARGV[1] held failures back to the end of their list, in order.
# KEYS[1] holding list, KEYS[2] failure list. Returns how many moved (0: nothing left).
RESTORE = """
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
for _, item in ipairs(items) do
  redis.call('RPUSH', KEYS[2], item)
end
if #items > 0 then
  redis.call('LTRIM', KEYS[1], #items, -1)
end
return #items
"""
