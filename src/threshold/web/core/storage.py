"""Static files as production stores them: whitenoise's compressed manifest storage (each file
under a name with its content's hash, with gzip beside it, so that browsers may keep it for a
year), with the paths in JavaScript modules' `import` statements hashed too, so that the
scripts a module imports (GOV.UK Frontend's, from threshold/init.js) are cached as long."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
