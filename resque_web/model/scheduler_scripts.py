"""Lua for the Delayed and Schedule tabs: reads that cover a page in one round trip, and
actions that check the job the user saw (timestamp, list index, SHA-1 of the stored item)
and change resque-scheduler's keys in one atomic step.

resque-scheduler keeps a delayed job in three places: the item in the list
``delayed:<epoch>``, the epoch in the zset ``delayed_queue_schedule`` (score = member) and
the bare name ``delayed:<epoch>`` in the set ``timestamps:<item>``. Every action here
leaves the three agreeing, as Ruby's ``next_item_for_timestamp``, ``clean_up_timestamp``
and ``reset_delayed_queue`` do: an emptied list is deleted with its zset entry, and a
``timestamps:`` set loses the name once no copy of the item is left in that list. (Ruby
drops it after taking any one copy; three identical jobs at one time keep their set entry
here until the last one goes.)

Key names come in from :mod:`resque_web.keys` as prefixes; a script derives
``delayed:<epoch>`` and ``timestamps:<item>`` from them, as resque-scheduler's data model
requires (Resque does not run on Redis Cluster). A key of the wrong Redis type is read with
``pcall`` and reported (size -1), never an error that breaks the page.
"""

from __future__ import annotations

from ..scheduler.scripts import CLEAN_UP_FUNCTION

# The length of a list key, -1 when the key holds another type.
_SIZE = """
local function size_of(key)
  local n = redis.pcall('LLEN', key)
  if type(n) == 'table' then return -1 end
  return n
end
"""

# Does the list still hold a copy of ``item`` within its first ``maxlen`` places (0: all)?
# LPOS where Redis has it (6.0.6 and later), else a scan of those places.
_HOLDS = """
local function still_holds(key, item, maxlen)
  local found = redis.pcall('LPOS', key, item, 'MAXLEN', maxlen)
  if type(found) == 'table' and found['err'] then
    for _, other in ipairs(redis.call('LRANGE', key, 0, maxlen - 1)) do
      if other == item then return true end
    end
    return false
  end
  return found ~= false and found ~= nil
end
"""

# KEYS: delayed_queue_schedule
# ARGV: delayed: key prefix, page number, per page, how many timestamps to count jobs over
#       (from the oldest; 0: none), now (epoch seconds)
# -> {timestamps, due timestamps, oldest member or '', page shown, {members}, {sizes},
#     {first items}, jobs counted, timestamps counted}. One round trip for a page of
#    timestamps (past the last page: the last page), each row's size and first job, and
#    the totals the page heads with.
PAGE = (
    _SIZE
    + """
local call = redis.call
local prefix = ARGV[1]
local total = call('ZCARD', KEYS[1])
local due = call('ZCOUNT', KEYS[1], '-inf', ARGV[5])
local oldest = call('ZRANGE', KEYS[1], 0, 0)[1] or ''
local per = tonumber(ARGV[3])
local number = math.min(math.max(1, tonumber(ARGV[2])), math.max(1, math.ceil(total / per)))
local start = (number - 1) * per
local members = call('ZRANGE', KEYS[1], start, start + per - 1)
local sizes, firsts = {}, {}
for i, member in ipairs(members) do
  local n = size_of(prefix .. member)
  sizes[i] = n
  firsts[i] = n > 0 and call('LINDEX', prefix .. member, 0) or ''
end
local jobs, counted = 0, 0
local limit = tonumber(ARGV[4])
if limit > 0 then
  for _, member in ipairs(call('ZRANGE', KEYS[1], 0, limit - 1)) do
    jobs = jobs + math.max(size_of(prefix .. member), 0)
    counted = counted + 1
  end
end
return {total, due, oldest, number, members, sizes, firsts, jobs, counted}
"""
)

# KEYS: delayed_queue_schedule; ARGV: delayed: key prefix, first rank, last rank
# -> jobs in the lists of the timestamps ranked first..last (a chunk of a full count).
COUNT = (
    _SIZE
    + """
local jobs = 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], ARGV[2], ARGV[3])) do
  jobs = jobs + math.max(size_of(ARGV[1] .. member), 0)
end
return jobs
"""
)

# KEYS: delayed:<epoch>, delayed_queue_schedule
# ARGV: epoch (the zset member), page number, per page
# -> {in the zset (0/1), size (-1: not a list), page shown, {items}}. Past the last page,
#    the last page is read instead (one round trip either way).
TIMESTAMP_PAGE = (
    _SIZE
    + """
local listed = redis.call('ZSCORE', KEYS[2], ARGV[1]) and 1 or 0
local size = size_of(KEYS[1])
local per = tonumber(ARGV[3])
local pages = math.max(1, math.ceil(math.max(size, 0) / per))
local number = math.min(math.max(1, tonumber(ARGV[2])), pages)
local items = {}
if size > 0 then
  local start = (number - 1) * per
  items = redis.call('LRANGE', KEYS[1], start, start + per - 1)
end
return {listed, size, number, items}
"""
)

# One job, checked and taken out of its list (optionally pushed onto its queue).
# KEYS: delayed:<epoch>, delayed_queue_schedule, queues set, queue:<name> (or any key when
#       nothing is pushed)
# ARGV: index, SHA-1 of the item the user saw, tombstone (unique per call), timestamps:
#       prefix, bare delayed:<epoch>, epoch, queue name ("" = only remove), queue item
# -> 1 done, 0 when that position no longer holds that item (nothing changed).
TAKE_ONE = (
    CLEAN_UP_FUNCTION
    + _HOLDS
    + """
local call = redis.call
local item = call('LINDEX', KEYS[1], ARGV[1])
if (not item) or redis.sha1hex(item) ~= ARGV[2] then return 0 end
call('LSET', KEYS[1], ARGV[1], ARGV[3])
call('LREM', KEYS[1], 1, ARGV[3])
if not still_holds(KEYS[1], item, 0) then call('SREM', ARGV[4] .. item, ARGV[5]) end
if ARGV[7] ~= '' then
  call('SADD', KEYS[3], ARGV[7])
  call('RPUSH', KEYS[4], ARGV[8])
end
clean_up(KEYS[1], ARGV[6], KEYS[2])
return 1
"""
)

# A chunk of one timestamp's jobs onto their queues ("Queue now" on a timestamp).
# KEYS: delayed:<epoch>, delayed_queue_schedule, queues set
# ARGV: tombstone, timestamps: prefix, queue: key prefix, bare delayed:<epoch>, epoch,
#       first position of the chunk, then per item of the chunk (in list order): its SHA-1,
#       its queue name and queue item ("" and "": left where it is, it cannot be queued)
# -> jobs moved, or -1 when the chunk no longer holds those items (nothing changed: read
#    again). A moved item's timestamps: set loses the name unless a copy is still within
#    the next 1,000 places (a bounded look; a later chunk moves those copies too).
QUEUE_CHUNK = (
    CLEAN_UP_FUNCTION
    + _HOLDS
    + """
local call = redis.call
local tomb, ts_prefix, queue_prefix, name, epoch = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local first = tonumber(ARGV[6])
local n = (#ARGV - 6) / 3
if n == 0 then return 0 end
local items = call('LRANGE', KEYS[1], first, first + n - 1)
if #items ~= n then return -1 end
for i = 1, n do
  if redis.sha1hex(items[i]) ~= ARGV[4 + 3 * i] then return -1 end
end
local moved = 0
for i = 1, n do
  if ARGV[5 + 3 * i] ~= '' then
    call('LSET', KEYS[1], first + i - 1, tomb)
    moved = moved + 1
  end
end
if moved == 0 then return 0 end
call('LREM', KEYS[1], moved, tomb)
for i = 1, n do
  local queue = ARGV[5 + 3 * i]
  if queue ~= '' then
    call('SADD', KEYS[3], queue)
    call('RPUSH', queue_prefix .. queue, ARGV[6 + 3 * i])
    if not still_holds(KEYS[1], items[i], 1000) then
      call('SREM', ts_prefix .. items[i], name)
    end
  end
end
clean_up(KEYS[1], epoch, KEYS[2])
return moved
"""
)

# Ruby's ``reset_delayed_queue`` in bounded steps: from the oldest timestamp, up to ARGV[3]
# items per call, each item's timestamps: set deleted and the items trimmed off; an emptied
# (or missing) list leaves the zset. A key of another type is left alone (not ours to
# delete) and only its epoch leaves the zset.
# KEYS: delayed_queue_schedule; ARGV: delayed: key prefix, timestamps: prefix, item budget
# -> {jobs deleted, timestamps emptied, timestamps left}
CLEAR_CHUNK = """
local call = redis.call
local prefix, ts_prefix = ARGV[1], ARGV[2]
local budget = tonumber(ARGV[3])
local jobs, emptied = 0, 0
while budget > 0 do
  local member = call('ZRANGE', KEYS[1], 0, 0)[1]
  if not member then break end
  local key = prefix .. member
  local kind = call('TYPE', key)['ok']
  if kind == 'list' then
    local items = call('LRANGE', key, 0, budget - 1)
    for _, item in ipairs(items) do call('DEL', ts_prefix .. item) end
    call('LTRIM', key, #items, -1)
    jobs = jobs + #items
    budget = budget - math.max(#items, 1)
    if call('LLEN', key) == 0 then
      call('DEL', key)
      call('ZREM', KEYS[1], member)
      emptied = emptied + 1
    end
  else
    call('ZREM', KEYS[1], member)
    emptied = emptied + 1
    budget = budget - 1
  end
end
return {jobs, emptied, call('ZCARD', KEYS[1])}
"""

# Find delayed jobs by text, oldest first, reading at most ARGV[4] items (and visiting at
# most as many timestamps) per call.
# KEYS: delayed_queue_schedule
# ARGV: delayed: key prefix, rank to start at, position in that timestamp's list, item
#       budget, class needle (ASCII-lowercased JSON text; "" = any), args needle ("" = any),
#       most matches to return
# -> {next rank, next position (rank -1: the end), items read, {member, position, item}...}
#    An item is returned when its lowercased text holds the class needle and its text holds
#    the args needle; Python checks the decoded job's class and arguments.
SEARCH = """
local call = redis.call
local prefix = ARGV[1]
local rank, pos = tonumber(ARGV[2]), tonumber(ARGV[3])
local budget, want = tonumber(ARGV[4]), tonumber(ARGV[7]) * 3
local class_needle, args_needle = ARGV[5], ARGV[6]
local read, visits, found = 0, 0, {}
while read < budget and visits < budget do
  local member = call('ZRANGE', KEYS[1], rank, rank)[1]
  if not member then return {-1, 0, read, found} end
  visits = visits + 1
  local asked = budget - read
  local items = redis.pcall('LRANGE', prefix .. member, pos, pos + asked - 1)
  if type(items) ~= 'table' or items['err'] then items = {} end
  for i, item in ipairs(items) do
    if (class_needle == '' or string.find(string.lower(item), class_needle, 1, true))
        and (args_needle == '' or string.find(item, args_needle, 1, true)) then
      found[#found + 1] = member
      found[#found + 1] = pos + i - 1
      found[#found + 1] = item
      if #found >= want then return {rank, pos + i, read + i, found} end
    end
  end
  read = read + #items
  if #items < asked then
    rank, pos = rank + 1, 0
  else
    pos = pos + #items
  end
end
return {rank, pos, read, found}
"""


# The Schedule tab's actions on a persistent schedule, checked against the config the user
# saw (SHA-1 of the stored JSON): a schedule edited meanwhile is never enqueued or deleted.
# KEYS: persistent_schedules, schedules_changed, queues set, queue:<name> (any key when
#       deleting)
# ARGV: name, SHA-1, "delete" or "enqueue", queue name, queue item
# -> 1 done, 0 when the schedule is gone or changed (nothing changed). A delete is Ruby's
#    ``remove_schedule``: HDEL, and the name into schedules_changed for the schedulers.
SCHEDULE_ACTION = """
local call = redis.call
local config = call('HGET', KEYS[1], ARGV[1])
if (not config) or redis.sha1hex(config) ~= ARGV[2] then return 0 end
if ARGV[3] == 'delete' then
  call('HDEL', KEYS[1], ARGV[1])
  call('SADD', KEYS[2], ARGV[1])
else
  call('SADD', KEYS[3], ARGV[4])
  call('RPUSH', KEYS[4], ARGV[5])
end
return 1
"""
