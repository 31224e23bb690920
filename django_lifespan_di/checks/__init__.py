"""System checks (``manage.py check``), one module per concern, each id stable.

- ``settings``: the ``LIFESPAN_DI`` setting and the middleware: ``E0xx``, ``W001``, ``W201``,
  ``W202``.
- ``injection``: ``@inject``-ed functions and the URLs that route to them: ``E1xx``.
- ``deployment``: the application that a server or ``runserver`` runs: ``E2xx``, ``W203``-``W205``.

Each module registers its checks when imported, which ``LifespanDIConfig.ready()`` does; this
package imports none of them, so importing one costs only its own imports. Each check's code
holds its ids; ``docs/reference.md`` lists them all.
"""
