"""Builders of test inputs, shared by the tests of several packages."""
