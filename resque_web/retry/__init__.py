"""resque-retry 1.8 for Python jobs: retries with a delay or an exponential backoff, keeping
Ruby's Redis state so Ruby and Python workers retry each other's jobs."""

from .identifier import json_retry_identifier, retry_identifier, ruby_inspect, ruby_join
from .plugin import AmbiguousRetryStrategy, ExponentialBackoff, InvalidRetryDelayMultiplicand, Retry

__all__ = [
    "AmbiguousRetryStrategy",
    "ExponentialBackoff",
    "InvalidRetryDelayMultiplicand",
    "Retry",
    "json_retry_identifier",
    "retry_identifier",
    "ruby_inspect",
    "ruby_join",
]
