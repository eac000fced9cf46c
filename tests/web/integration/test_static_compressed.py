"""Static files as production serves them (collected by its storage, served by whitenoise with
DEBUG off): compressed when the browser accepts gzip, and cached for a year under their hashed
names, including the GOV.UK Frontend script that threshold/init.js imports."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.http import HttpResponse
from django.templatetags.static import static
from django.test import RequestFactory, override_settings
from whitenoise.middleware import WhiteNoiseMiddleware
from whitenoise.storage import CompressedManifestStaticFilesStorage

from threshold.web.config.settings import base
from threshold.web.core.storage import StaticFilesStorage

A_YEAR = 365 * 24 * 60 * 60
PRODUCTION = {
    "STORAGES": base.STORAGES,
    "DEBUG": False,
    "WHITENOISE_USE_FINDERS": False,
    "WHITENOISE_AUTOREFRESH": False,
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WhiteNoiseMiddleware]:
    """Whitenoise in front of a view that answers 404, over files collectstatic has just
    collected with production's storage (once for the module: it takes a while)."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(**PRODUCTION, STATIC_ROOT=root):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield WhiteNoiseMiddleware(lambda request: HttpResponse(status=404))


def get(served: WhiteNoiseMiddleware, url: str, **headers: str) -> tuple[HttpResponse, bytes]:
    response = served(RequestFactory().get(url, headers=headers))
    try:
        body = b"".join(response.streaming_content) if response.streaming else response.content
    finally:  # the file, not the response: closing that ends a request (and asks the database)
        if getattr(response, "file_to_stream", None) is not None:
            response.file_to_stream.close()
    return response, body


def source(name: str) -> bytes:
    """The file `name` as the repository (or node_modules) holds it."""
    return Path(finders.find(name)).read_bytes()


def test_production_uses_the_compressed_manifest_storage() -> None:
    backend = base.STORAGES["staticfiles"]["BACKEND"]
    assert backend == "threshold.web.core.storage.StaticFilesStorage"
    assert issubclass(StaticFilesStorage, CompressedManifestStaticFilesStorage)


@pytest.mark.parametrize("name", ["threshold/threshold.css", "govuk/govuk-frontend.min.css"])
def test_css_is_served_gzipped_when_asked_and_cached_for_a_year(
    served: WhiteNoiseMiddleware, name: str
) -> None:
    with override_settings(**PRODUCTION):
        url = static(name)
    assert re.search(r"\.[0-9a-f]{12}\.css$", url), url  # the hashed name

    plain, text = get(served, url)
    assert "Content-Encoding" not in plain
    assert text.startswith(source(name)[:40])  # the file (with its references hashed)

    response, body = get(served, url, accept_encoding="gzip, deflate, br")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert gzip.decompress(body) == text
    assert len(body) < len(text) / 2
    assert int(re.search(r"max-age=(\d+)", response["Cache-Control"]).group(1)) >= A_YEAR
    assert "immutable" in response["Cache-Control"]


def test_an_unhashed_name_is_cached_briefly(served: WhiteNoiseMiddleware) -> None:
    response, _ = get(served, "/assets/threshold/threshold.css", accept_encoding="gzip")
    assert response.status_code == 200
    seconds = int(re.search(r"max-age=(\d+)", response["Cache-Control"]).group(1))
    assert seconds < 3600
    assert "immutable" not in response["Cache-Control"]


def test_the_script_gov_uk_frontend_is_imported_from_is_hashed_and_cached_for_a_year(
    served: WhiteNoiseMiddleware,
) -> None:
    with override_settings(**PRODUCTION):
        init = static("threshold/init.js")
    _, body = get(served, init)
    imported = re.search(rb'from "\.\./govuk/(govuk-frontend\.min\.[0-9a-f]{12}\.js)"', body)
    assert imported, body.decode()
    response, _ = get(served, f"/assets/govuk/{imported.group(1).decode()}")
    assert response.status_code == 200
    assert "immutable" in response["Cache-Control"]
    assert django_settings.STATIC_URL == "/assets/"
