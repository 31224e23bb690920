"""A keep-alive HTTP/1.1 load generator on raw asyncio streams (127.0.0.1 only).

Used where ``wrk`` is not installed, and for the memory benchmark, which needs an exact number
of requests. A server that closes the connection after an answer (``Connection: close``, as
gunicorn's sync workers do) gets a new one for the next request, as ``wrk`` does. Prints the
same JSON line as ``bench/wrk.lua``::

    python -m bench.loadgen http://127.0.0.1:8000/ --connections 10 --seconds 5
    python -m bench.loadgen http://127.0.0.1:8000/ --connections 10 --requests 1000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from urllib.parse import urlsplit


async def get(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bool]:
    """Send one GET on an open connection, read the whole answer; its status, and whether the
    server closes the connection after it."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.lower().split(b"\r\n")
    length = next((line for line in lines if line.startswith(b"content-length:")), None)
    if length is not None:
        await reader.readexactly(int(length.split(b":", 1)[1]))
    else:  # Transfer-Encoding: chunked (Django sets no Content-Length without CommonMiddleware)
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")
    return int(lines[0].split()[1]), b"connection: close" in lines


async def load(url: str, connections: int, seconds: float, requests: int) -> dict[str, float]:
    """GET ``url`` over ``connections`` keep-alive connections for ``seconds`` or ``requests``."""
    parts = urlsplit(url)
    if parts.hostname != "127.0.0.1":
        raise ValueError(f"the load generator only sends to 127.0.0.1, not {parts.hostname}")
    request = f"GET {parts.path or '/'} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    latencies: list[float] = []
    counts = {"errors": 0, "non_2xx": 0, "left": requests or -1}
    deadline = time.perf_counter() + seconds if seconds else float("inf")

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            while counts["left"] != 0 and time.perf_counter() < deadline:
                counts["left"] -= 1
                begun = time.perf_counter()
                try:
                    status, closing = await get(reader, writer, request)
                    if closing:
                        writer.close()
                        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
                except (OSError, asyncio.IncompleteReadError):
                    counts["errors"] += 1
                    return
                latencies.append(time.perf_counter() - begun)
                counts["non_2xx"] += not 200 <= status < 300
        finally:
            writer.close()

    begun = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    elapsed = time.perf_counter() - begun
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "p50_us": cuts[49] * 1e6,
        "p99_us": cuts[98] * 1e6,
        "errors": counts["errors"],
        "non_2xx": counts["non_2xx"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--connections", type=int, default=10)
    bound = parser.add_mutually_exclusive_group(required=True)
    bound.add_argument("--seconds", type=float, default=0.0)
    bound.add_argument("--requests", type=int, default=0)
    args = parser.parse_args()
    result = asyncio.run(load(args.url, args.connections, args.seconds, args.requests))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
