#!/usr/bin/env python
"""The demo's manage.py; run it from the repository root: ``python demo/manage.py demo_quotes``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

if __name__ == "__main__":
    # The repository root, so ``demo`` and ``django_lifespan_di`` import from a checkout.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
