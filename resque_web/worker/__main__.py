"""``python -m resque_web.worker --queues ...``"""

from .cli import worker

worker(prog_name="python -m resque_web.worker")
