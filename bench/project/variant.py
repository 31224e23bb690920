"""Which variant this process serves, from the ``BENCH_VARIANT`` environment variable."""

from __future__ import annotations

import os

VARIANTS = ("plain", "lifespan_di", "asgi_lifespan", "di_wired")

VARIANT = os.environ.get("BENCH_VARIANT", "lifespan_di")
if VARIANT not in VARIANTS:
    raise RuntimeError(
        f"BENCH_VARIANT={VARIANT!r} is not a benchmark variant; use one of {', '.join(VARIANTS)}."
    )

#: The local upstream the pooling views call (``bench/upstream.py``, started by ``bench/run.py``).
UPSTREAM_URL = os.environ.get("BENCH_UPSTREAM_URL", "http://127.0.0.1:9")
