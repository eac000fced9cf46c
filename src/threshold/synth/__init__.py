"""A synthetic world of fictional LAs and schools, calibrated to the evaluation, for demos,
tests and benchmarks.

The names are declared in `__init__.pyi` and each is imported on first use (lazy_loader), so
`from threshold.synth import Effects` does not import numpy.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
