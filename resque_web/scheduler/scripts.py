"""Lua scripts for resque-scheduler's keys: each change is one atomic step.

Ruby's resque-scheduler makes its changes with WATCH/MULTI (a failed EXEC means "read again").
A script gets the same guarantee in one round trip: a Ruby scheduler, a Ruby ``remove_delayed``
or another Python process sees either all of a step or none of it. Key names come in as
arguments built by :mod:`resque_web.keys`; scripts derive ``timestamps:<job>`` keys from the
job bytes, as Ruby's data model requires (Resque does not run on Redis Cluster).
"""

from __future__ import annotations

from redis.commands.core import Script


def script(text: str) -> Script:
    """A script any client can run (``script(client=...)``): its SHA does not depend on one."""
    return Script(None, text.encode())  # type: ignore[arg-type]


# Delete an empty ``delayed:<epoch>`` list and its zset entry (Ruby's ``clean_up_timestamp``):
# a Lua function, ``clean_up(key, epoch, schedule)``, for the scripts here and the dashboard's.
CLEAN_UP_FUNCTION = """
local function clean_up(key, epoch, schedule)
  if redis.call('LLEN', key) == 0 then
    redis.call('DEL', key)
    redis.call('ZREM', schedule, epoch)
  end
end
"""

# KEYS: delayed:<epoch>, delayed_queue_schedule
# ARGV: epoch, timestamps: prefix, bare "delayed:<epoch>"
# Ruby's ``next_item_for_timestamp``: LPOP, SREM from the item's timestamps set, clean up.
NEXT_ITEM = (
    CLEAN_UP_FUNCTION
    + """
local item = redis.call('LPOP', KEYS[1])
if item then redis.call('SREM', ARGV[2] .. item, ARGV[3]) end
clean_up(KEYS[1], ARGV[1], KEYS[2])
return item
"""
)

# KEYS: delayed:<epoch>, delayed_queue_schedule, timestamps:<job>
# ARGV: job JSON, epoch, bare "delayed:<epoch>"
# Ruby's ``remove_delayed_job_from_timestamp``: SREM, LREM all copies, clean up.
REMOVE_FROM_TIMESTAMP = (
    CLEAN_UP_FUNCTION
    + """
redis.call('SREM', KEYS[3], ARGV[3])
local n = redis.call('LREM', KEYS[1], 0, ARGV[1])
clean_up(KEYS[1], ARGV[2], KEYS[2])
return n
"""
)

# KEYS: timestamps:<job>, delayed_queue_schedule
# ARGV: job JSON, namespace prefix ("resque:"), bare ``delayed:`` prefix
# Ruby's ``remove_delayed_job``: LREM from every list its timestamps set names and SREM each
# name. Ruby leaves an emptied list for the scheduler to clean up; we clean it up at once
# (what the scheduler would do), so no empty timestamp lingers on the Delayed page.
REMOVE_JOB = (
    CLEAN_UP_FUNCTION
    + """
local removed = 0
for _, name in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[2] .. name
  removed = removed + redis.call('LREM', key, 0, ARGV[1])
  redis.call('SREM', KEYS[1], name)
  local epoch = nil
  if string.sub(name, 1, #ARGV[3]) == ARGV[3] then
    epoch = string.match(string.sub(name, #ARGV[3] + 1), '^(%-?%d+)$')
  end
  if epoch then clean_up(key, epoch, KEYS[2]) end
end
return removed
"""
)

# KEYS: delayed:<epoch>, delayed_queue_schedule; ARGV: epoch
# Ruby's ``clean_up_timestamp`` (WATCH, LLEN, MULTI DEL ZREM) as one step.
CLEAN_UP = (
    CLEAN_UP_FUNCTION
    + """
clean_up(KEYS[1], ARGV[1], KEYS[2])
return 1
"""
)

# Read what the next move takes, without changing anything: the oldest due timestamps'
# first jobs, ``batch`` jobs in all (an empty list counts, so the move cleans it up).
# KEYS: delayed_queue_schedule; ARGV: now, batch, most timestamps, ``<ns>:delayed:``
# -> flat {epoch, n, n jobs..., epoch, n, ...}
PEEK_DUE = """
local epochs = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
local budget = tonumber(ARGV[2])
local out = {}
for _, epoch in ipairs(epochs) do
  if budget <= 0 then break end
  local items = redis.call('LRANGE', ARGV[4] .. epoch, 0, budget - 1)
  out[#out + 1] = epoch
  out[#out + 1] = #items
  for _, item in ipairs(items) do out[#out + 1] = item end
  budget = budget - #items
end
return out
"""

# Move due jobs onto their queues: the scheduler's one write.
# KEYS: delayed_queue_schedule, queues set, master lock
# ARGV: lock value ("" = no lock check), ``<ns>:delayed:``, ``<ns>:timestamps:``,
#       ``<ns>:queue:``, bare ``delayed:``,
#       then per timestamp: epoch, n, m, the n job JSONs read from the list's head, then m
#       triples (queue name, queue item, "1" when the job's JSON was read as one of the n).
# A timestamp whose list no longer starts with those n jobs (a remover or another scheduler
# got there first) is skipped and reported, exactly as Ruby's failed EXEC: nothing of it
# changes. For the others, in one step: SREM each job from its timestamps set, push the
# queue items, LTRIM the n jobs off, clean up an emptied list. Returns
# {moved jobs, pushed items, skipped epochs...}, or {-1} when the lock is not ours.
MOVE = (
    CLEAN_UP_FUNCTION
    + """
local call = redis.call
local lock_value, delayed_prefix, ts_prefix = ARGV[1], ARGV[2], ARGV[3]
local queue_prefix, bare_prefix = ARGV[4], ARGV[5]
if lock_value ~= '' and call('GET', KEYS[3]) ~= lock_value then return {-1} end
local moved, pushed, skipped = 0, 0, {}
local i = 6
while i <= #ARGV do
  local epoch, n, m = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  local first = i + 3
  local key = delayed_prefix .. epoch
  local name = bare_prefix .. epoch
  local same = true
  if n > 0 then
    local head = call('LRANGE', key, 0, n - 1)
    if #head ~= n then
      same = false
    else
      for j = 1, n do
        if head[j] ~= ARGV[first + j - 1] then same = false break end
      end
    end
  end
  if same then
    for j = 1, n do call('SREM', ts_prefix .. ARGV[first + j - 1], name) end
    local t = first + n
    for _ = 1, m do
      local queue, item = ARGV[t], ARGV[t + 1]
      call('SADD', KEYS[2], queue)
      call('RPUSH', queue_prefix .. queue, item)
      pushed = pushed + 1
      t = t + 3
    end
    if n > 0 then call('LTRIM', key, n, -1) end
    clean_up(key, epoch, KEYS[1])
    moved = moved + n
  else
    skipped[#skipped + 1] = epoch
  end
  i = first + n + 3 * m
end
local out = {moved, pushed}
for _, e in ipairs(skipped) do out[#out + 1] = e end
return out
"""
)

# Enqueue one recurring job, at most once per fire.
# KEYS: master lock, queues set, queue:<name>, delayed:last_enqueued_at
# ARGV: lock value ("" = no check), queue name, queue item, schedule name, Time#to_s of now
# Returns -1 (not master), 0 (already done: a retry after a lost reply), 1 (enqueued).
ENQUEUE_RECURRING = """
if ARGV[1] ~= '' and redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
if redis.call('HGET', KEYS[4], ARGV[4]) == ARGV[5] then return 0 end
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('RPUSH', KEYS[3], ARGV[3])
redis.call('HSET', KEYS[4], ARGV[4], ARGV[5])
return 1
"""

# resque-scheduler's Lock::Resilient, with the timeout as an argument.
# KEYS: lock; ARGV: value, timeout seconds
ACQUIRE = """
if redis.call('SETNX', KEYS[1], ARGV[1]) == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""

LOCKED = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  if redis.call('GET', KEYS[1]) == ARGV[1] then return 1 end
end
return 0
"""

# Ruby's ``release`` is ``locked? && DEL``; one script so a lock taken over between the two
# is never deleted.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
