"""``python -m autograd_mini``: the same command line as ``autograd-mini``."""

from autograd_mini.cli import main

if __name__ == "__main__":  # not when a tool (pytest's doctest collector) imports it
    raise SystemExit(main())
