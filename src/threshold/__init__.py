"""Threshold: run, and rigorously evaluate, support for school Designated Safeguarding Leads."""


def __getattr__(name: str) -> str:
    """`__version__`, read from the installed metadata on first use (importlib.metadata is slow
    to import, and `threshold --help` should not wait for it)."""
    if name == "__version__":
        from importlib.metadata import version

        return version("threshold")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
