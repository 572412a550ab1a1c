"""Lua for the status actions that must look before they change something, and for a
bounded, one-round-trip search by state.

They read ``status`` with ``cjson.decode`` inside ``pcall``: a value that is not JSON (or a
key that is not a string) is left alone. A status without a ``status`` field is queued, as
Ruby reads it.
"""

from __future__ import annotations

_STATE = """
local function score_of(text)
  local n = tonumber(text)
  if n then return n end
  if text == '-inf' then return -math.huge end
  return math.huge
end

-- GET that survives a key of another type (someone else's data): false, not an error.
local function get(key)
  local value = redis.pcall('GET', key)
  if type(value) == 'table' then return false end
  return value
end

local function state_of(raw)
  local ok, data = pcall(cjson.decode, raw)
  if not ok or type(data) ~= 'table' then return nil end
  if type(data['status']) == 'string' then return data['status'] end
  return 'queued'
end
"""

# KEYS: status:<uuid>, _kill   ARGV: uuid
# -> 1 kill requested, 0 the job has finished (completed, failed, killed),
#    -1 no such status, -2 the status is unreadable (not JSON, or not a string key)
KILL = (
    _STATE
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local raw = get(KEYS[1])
if not raw then return -2 end
local state = state_of(raw)
if state == nil then return -2 end
if state == 'completed' or state == 'failed' or state == 'killed' then return 0 end
redis.call('SADD', KEYS[2], ARGV[1])
return 1
"""
)

# KEYS: _statuses   ARGV: status key prefix (Keys.status("")), which (all|completed|failed),
# position from the newest, how many to read, the highest score to touch
# Reads `count` uuids from `position` and removes each status (its key and its _statuses
# entry) scored at most that high and in the state `which` right now (with `all`, every
# one). -> {removed, read}: the next chunk starts at position + read - removed
CLEAR = (
    _STATE
    + """
local prefix, which, position, count, upto = ARGV[1], ARGV[2], tonumber(ARGV[3]),
  tonumber(ARGV[4]), score_of(ARGV[5])
local rows = redis.call('ZREVRANGE', KEYS[1], position, position + count - 1, 'WITHSCORES')
local removed = 0
for i = 1, #rows, 2 do
  if score_of(rows[i + 1]) <= upto then
    local key = prefix .. rows[i]
    local remove = which == 'all'
    if not remove then
      local raw = get(key)
      remove = raw and state_of(raw) == which
    end
    if remove then
      redis.call('DEL', key)
      redis.call('ZREM', KEYS[1], rows[i])
      removed = removed + 1
    end
  end
end
return {removed, #rows / 2}
"""
)

# KEYS: _statuses   ARGV: status key prefix (Keys.status("")), offset from the newest,
# how many uuids to read at most, how many matches to stop at, the state
# -> {read, {uuid, score, raw, uuid, score, raw, ...}} newest first; `read` is how many
#    uuids were looked at (the next search starts at offset + read)
FIND = (
    _STATE
    + """
local prefix, offset, budget, want, wanted = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]),
  tonumber(ARGV[4]), ARGV[5]
local ids = redis.call('ZREVRANGE', KEYS[1], offset, offset + budget - 1, 'WITHSCORES')
local found, read = {}, 0
for i = 1, #ids, 2 do
  read = read + 1
  local raw = get(prefix .. ids[i])
  if raw and state_of(raw) == wanted then
    found[#found + 1] = ids[i]
    found[#found + 1] = ids[i + 1]
    found[#found + 1] = raw
    if #found >= want * 3 then break end
  end
end
return {read, found}
"""
)
