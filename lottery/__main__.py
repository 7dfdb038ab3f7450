"""Entry point for ``python -m lottery``."""

from __future__ import annotations

import sys

from lottery.cli import main

sys.exit(main())
