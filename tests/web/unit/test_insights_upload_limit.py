"""The import form refuses an upload over the front door's size limit before any import."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile

from threshold.frontdoor import LIMITS
from threshold.web.insights.forms import MSG_TOO_LARGE, ImportForm


def test_an_upload_over_the_size_limit_is_refused_by_the_form():
    size = LIMITS.file_bytes + 1
    big = UploadedFile(io.BytesIO(b"a,b\n"), name="export.csv", size=size)
    form = ImportForm({"format": "ssd"}, {"file": big})
    assert not form.is_valid()
    assert form.errors["file"] == [MSG_TOO_LARGE.format(size=size, limit=LIMITS.file_bytes)]


def test_an_upload_within_the_limit_passes_the_form():
    small = SimpleUploadedFile("export.csv", b"cont_contact_id\nC1\n")
    assert ImportForm({"format": "ssd"}, {"file": small}).is_valid()
