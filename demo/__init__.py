"""The demo project: django-lifespan-di with a shared HTTP client, a SQLite store and an upstream.

Run it with ``make demo`` (uvicorn on 127.0.0.1:8000); everything stays on 127.0.0.1.
"""
