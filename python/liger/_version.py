"""``liger.__version__``: the installed distribution's version (a source tree never installed
gets ``0.0.0+unknown``)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("liger")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
