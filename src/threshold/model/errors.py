"""The base of every error a user can cause (bad input, a refused action)."""


class InputError(Exception):
    """An error caused by what the user gave; its message names the file, row, field and fix.

    The CLI prints these without a traceback and exits with status 2.
    """
