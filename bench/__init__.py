"""Benchmarks of django-lifespan-di (``make bench``; entry point ``bench/run.py``)."""
