"""``python -m resque_web.worker --queues ...``"""

from .command import worker

worker(prog_name="python -m resque_web.worker")
