"""A Kubernetes API server in Python: thread-based and standard-library-first."""

__version__ = "0.1.0"
