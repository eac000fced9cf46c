"""Threshold: run, and rigorously evaluate, support for school Designated Safeguarding Leads."""

from importlib.metadata import version

__version__ = version("threshold")
