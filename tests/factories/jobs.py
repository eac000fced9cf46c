"""Running background jobs in a test: django-tasks' own database worker, for real."""

from __future__ import annotations

from pathlib import Path
from threading import Thread

from django.db import connections
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task
from django_tasks_db.management.commands.db_worker import Worker


def run_jobs() -> None:
    """Run every queued job with the library's worker, then stop: in a thread with its own
    database connection, as a worker process would (so the test's data must be committed:
    `django_db(transaction=True)`), and apart from any event loop of the test's thread."""

    def run() -> None:
        try:
            Worker(
                queue_names=["*"],
                excluded_queue_names=[],
                interval=0,
                batch=True,
                backend_name=DEFAULT_TASK_BACKEND_ALIAS,
                startup_delay=False,
                max_tasks=None,
                worker_id="test-worker",
            ).run()
        finally:
            connections.close_all()

    thread = Thread(target=run)
    thread.start()
    thread.join()


@task()
def touch(path: str) -> None:
    """A job that creates the file `path`: shows that a worker in another process ran it."""
    Path(path).touch()
