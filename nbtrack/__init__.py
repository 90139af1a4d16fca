"""nbtrack: trustworthy notebook experiments (public API filled in by the tracking layer)."""

from nbtrack._version import __version__

__all__ = ["__version__"]
