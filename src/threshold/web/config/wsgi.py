"""The WSGI application (gunicorn serves it); production settings unless told otherwise."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "threshold.web.config.settings.production")

application = get_wsgi_application()
