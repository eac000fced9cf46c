"""Background jobs: django-tasks with its database backend (ADR 0009). Jobs are enqueued in the
database and run by `threshold web worker`; administrators see the ones that failed."""
