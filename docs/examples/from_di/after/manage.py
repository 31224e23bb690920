#!/usr/bin/env python
"""The project's manage.py, as ``startproject`` writes it.

From the repository's root: ``python docs/examples/from_di/after/manage.py test
docs.examples.from_di.after.web``.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docs.examples.from_di.after.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
