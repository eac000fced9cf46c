"""`manage.py serve`: run the service under gunicorn (static files by whitenoise).

Gunicorn runs threaded workers (`gthread`): by default 2 × CPUs + 1 worker processes (at
most 9), each with 4 threads, so a slow request (a sign-in's password hash) holds one thread,
not a whole process, and browsers keep their connections open between pages. Any gunicorn
setting can also be given in `GUNICORN_CMD_ARGS` (e.g. "--workers 3 --threads 8"), which
`threshold web serve` passes on; it wins over these defaults, and options given here win
over it.

Each worker, once Django is loaded, moves everything it holds so far out of the cyclic garbage
collector's sight (`gc.freeze`) and collects the youngest objects after GC_THRESHOLD
allocations rather than Python's 700: a page allocates tens of thousands of short-lived
objects, and collecting every 700 cost about a tenth of a page's CPU (benchmarks/web_load.py).
"""

from __future__ import annotations

import gc
import os
from typing import Any

from django.core.handlers.wsgi import WSGIHandler
from django.core.management.base import BaseCommand, CommandParser
from django.core.wsgi import get_wsgi_application
from gunicorn.app.base import BaseApplication

MSG_SERVING = (
    "Threshold is at http://{host}:{port}/ ({workers} workers × {threads} threads; "
    "stop with Ctrl+C)"
)
THREADS = 4
KEEPALIVE_SECONDS = 5
GC_THRESHOLD = (50_000, 100, 100)
"""Allocations before the youngest generation is collected, and collections of each
generation before the next older one is (`gc.set_threshold`)."""


def default_workers() -> int:
    """2 × the CPUs this process may use + 1 (gunicorn's advice), between 2 and 9."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(2, min(9, 2 * (cpus or 1) + 1))


class GunicornApplication(BaseApplication):
    """Gunicorn, configured in code, serving Django's WSGI application. `options` are applied
    first, then GUNICORN_CMD_ARGS, then `overrides`."""

    def __init__(self, options: dict[str, object], overrides: dict[str, object]) -> None:
        self.options = options
        self.overrides = overrides
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        from_environment = self.cfg.parser().parse_args(self.cfg.get_cmd_args_from_env())
        for key, value in vars(from_environment).items():
            if value is not None and key != "args":
                self.cfg.set(key.lower(), value)
        for key, value in self.overrides.items():
            self.cfg.set(key, value)

    def load(self) -> WSGIHandler:
        application = get_wsgi_application()
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLD)
        return application


class Command(BaseCommand):
    help = "Serve Threshold with gunicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers", type=int, help="worker processes (default: 2 × CPUs + 1, at most 9)"
        )
        parser.add_argument("--threads", type=int, help=f"threads per worker (default: {THREADS})")

    def handle(self, *args: Any, **options: Any) -> None:
        overrides = {
            "bind": f"{options['host']}:{options['port']}",
            **{key: options[key] for key in ("workers", "threads") if options[key] is not None},
        }
        application = GunicornApplication(
            {
                "worker_class": "gthread",
                "workers": default_workers(),
                "threads": THREADS,
                "keepalive": KEEPALIVE_SECONDS,
                "accesslog": "-",
            },
            overrides,
        )
        self.stdout.write(
            MSG_SERVING.format(
                host=options["host"],
                port=options["port"],
                workers=application.cfg.workers,
                threads=application.cfg.threads,
            )
        )
        application.run()
