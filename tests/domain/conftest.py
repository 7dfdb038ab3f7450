"""Hypothesis profiles for the domain tests: ``HYPOTHESIS_PROFILE=heavy`` for a long hunt."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("heavy", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
