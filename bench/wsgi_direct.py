"""CPU cost per WSGI request without the network: ``bench/project/wsgi.py`` called in a loop.

Under gunicorn's sync workers most of a request's time is gunicorn's own (a connection per
request, the parsing, the socket calls), and on a shared machine the rounds disagree by several
per cent. This calls the variant's WSGI application directly in one process with ``GET /sync/``
(after a warm-up, which also starts the package's lifespan thread), so what is left is the
request path itself: Django's WSGI handler, the middleware, the decorator. Best of ``--repeat``
runs of ``--requests`` requests; one variant per process::

    BENCH_VARIANT=lifespan_di python -m bench.wsgi_direct --requests 1000 --repeat 10
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable, Iterable
from io import BytesIO
from typing import Any

WARM_UP = 300
PATH = "/sync/"

WSGIApplication = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def environ() -> dict[str, Any]:
    """What a WSGI server passes for ``GET /sync/``."""
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": PATH,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.input": BytesIO(b""),
        "wsgi.errors": BytesIO(),
        "wsgi.url_scheme": "http",
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    if not status.startswith("200"):
        raise RuntimeError(f"GET {PATH} answered {status}")


def request(application: WSGIApplication) -> bytes:
    return b"".join(application(environ(), start_response))


def serve(requests: int) -> None:
    """``requests`` requests, untimed (the workload that ``bench/profiles.py`` profiles)."""
    from bench.project.wsgi import application

    for _ in range(requests):
        request(application)


def cost_per_request(requests: int, repeat: int) -> dict[str, float]:
    from bench.project.wsgi import application

    for _ in range(WARM_UP):
        body = request(application)
    if body != b"ok":
        raise RuntimeError(f"the view answered {body!r}, not b'ok'")
    best = float("inf")
    for _ in range(repeat):
        begun = time.perf_counter()
        for _ in range(requests):
            request(application)
        best = min(best, (time.perf_counter() - begun) / requests * 1e6)
    return {"us_per_request": best, "requests": requests, "repeat": repeat}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.project.settings")
    print(json.dumps(cost_per_request(args.requests, args.repeat)))


if __name__ == "__main__":
    main()
