"""Shared test settings: hypothesis profiles, chosen with the HYPOTHESIS_PROFILE variable.

- ``ci`` (default): no deadline (shared runners are slow and jittery), about 60 examples per
  property, a fresh random seed each run, and the reproduction blob printed on failure.
- ``dev``: few examples, for a quick loop while editing.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", deadline=None, max_examples=60, derandomize=False, print_blob=True)
settings.register_profile("dev", deadline=None, max_examples=15, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
