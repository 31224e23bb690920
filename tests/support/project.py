"""The test project's URLs (``tests/project/urls.py``) that the in-process and end-to-end tests
both request."""

from __future__ import annotations

#: One URL per view kind ``@inject`` supports (``tests/project/injected_views.py``), each
#: answering the ids of the shared objects it got.
INJECTED_URLS = [
    "/inject/async/bob/",
    "/inject/sync/",
    "/inject/sync-factory/",
    "/inject/async-class/",
    "/inject/sync-class/",
    "/inject/provider/",
    "/inject/drf/",
    "/inject/drf-class/",
    "/inject/ninja/items/3",
]
