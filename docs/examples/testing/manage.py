#!/usr/bin/env python
"""The example project's manage.py, as ``django-admin startproject`` writes one.

``python docs/examples/testing/manage.py test docs.examples.testing.test_forecast_unittest``
(from the repository's root) runs the unittest example with Django's own test runner.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docs.examples.testing.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
