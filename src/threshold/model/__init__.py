"""The shared vocabulary: code lists, the data contract, and reading and checking its files.

The names are declared in `__init__.pyi` and each is imported on first use (lazy_loader), so
`from threshold.model import InputError` does not import pandas.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
