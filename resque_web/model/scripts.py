"""Lua scripts that count across many keys in one round trip.

Summing 1,000 queue sizes as 1,000 pipelined LLENs costs redis-py more time packing and
parsing than Redis spends answering; one script answers with a handful of numbers. The
scripts touch keys they derive from set members (as Resque's own data model requires),
which standalone Redis allows; Resque does not run on Redis Cluster.
"""

from __future__ import annotations

# Key names come in as prefixes from resque_web.keys (the one module that spells them).
# KEYS: queues set, workers set, failed_queues set, failed list, processed, failed counter
# ARGV: queue key prefix (Keys.queue("")), worker key prefix, namespace prefix (Keys.prefix)
# -> {queues, pending, workers, working, failed_listed, processed, failed}
SUMMARY = """
local queue_prefix, worker_prefix, prefix = ARGV[1], ARGV[2], ARGV[3]
local queues = redis.call('SMEMBERS', KEYS[1])
local pending = 0
for _, name in ipairs(queues) do
  pending = pending + redis.call('LLEN', queue_prefix .. name)
end
local workers = redis.call('SMEMBERS', KEYS[2])
local working = 0
for _, id in ipairs(workers) do
  working = working + redis.call('EXISTS', worker_prefix .. id)
end
local listed = redis.call('LLEN', KEYS[4])
for _, name in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  listed = listed + redis.call('LLEN', prefix .. name)
end
return {#queues, pending, #workers, working, listed,
        redis.call('GET', KEYS[5]) or '0', redis.call('GET', KEYS[6]) or '0'}
"""

# KEYS: queues set, failed_queues set
# ARGV: queue key prefix, namespace prefix, failed-list suffix ("_failed")
# -> flat {name, size, failed_size or -1, ...} for every registered queue
QUEUE_SIZES = """
local queue_prefix, prefix, suffix = ARGV[1], ARGV[2], ARGV[3]
local multi = redis.call('SCARD', KEYS[2]) > 0
local out = {}
for _, name in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  out[#out + 1] = name
  out[#out + 1] = redis.call('LLEN', queue_prefix .. name)
  out[#out + 1] = multi and redis.call('LLEN', prefix .. name .. suffix) or -1
end
return out
"""
