"""A host app whose own page shows a job's progress bar until the job is done.

It mounts the dashboard at ``/resque``; its page polls ``/resque/api/v1/statuses/<uuid>``
(the JSON an app's front end reads) from ``static/progress.js``. Run it with a worker::

    REDIS_URL=redis://127.0.0.1:6379/0 flask --app examples.status_app.app run
    REDIS_URL=redis://127.0.0.1:6379/0 resque-web worker --queues thumbnails \\
        --require examples.status_app.jobs
"""
