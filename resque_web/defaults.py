"""Resque 3.0's worker defaults that the worker and the dashboard share (values checked in
its source): the dashboard judges a worker stale by the same rule a worker prunes it by."""

from __future__ import annotations

# Resque::DEFAULT_HEARTBEAT_INTERVAL = 60 and DEFAULT_PRUNE_INTERVAL = 60 * 5 (lib/resque.rb);
# Ruby reads no environment variable for either.
HEARTBEAT_INTERVAL = 60.0
PRUNE_INTERVAL = 300.0
