"""The package version, in one place: `autograd_mini.__version__` and the distribution
metadata (pyproject.toml reads it with setuptools' ``attr:``) both come from here."""

__version__ = "0.1.0"
