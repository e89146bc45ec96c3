"""Shared test settings: hypothesis runs without deadlines (the machines are shared and
noisy); under CI (CI=true) it is derandomized, so a landing never hinges on luck."""

import os

from hypothesis import settings

settings.register_profile("default", deadline=None, print_blob=True)
settings.register_profile("ci", deadline=None, print_blob=True, derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "default")

# Copies of other projects' files, run by the tests that use them (tests/test_micrograd.py),
# never collected themselves.
collect_ignore = ["fixtures"]
