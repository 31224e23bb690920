"""One tiny Django project served in four variants, chosen by ``BENCH_VARIANT``.

- ``plain``: Django's own ``get_asgi_application``, no middleware, no resource.
- ``lifespan_di``: this package (lifespan app, ``LifespanStateMiddleware``, ``@inject``).
- ``asgi_lifespan``: django-asgi-lifespan, its middleware, the view reads ``request.state``.
- ``di_wired``: dependency-injector's ``@inject`` wired by hand, resources started by a
  minimal lifespan wrapper calling ``init_resources()`` / ``shutdown_resources()``.

Every variant serves the same trivial async view at ``/`` with the same response.
"""
