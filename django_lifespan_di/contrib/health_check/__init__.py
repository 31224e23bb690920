"""django-health-check 4.x check classes that speak for the lifespan.

Add ``"django_lifespan_di.contrib.health_check"`` to ``INSTALLED_APPS`` (its label,
``lifespan_health_check``, does not clash with ``health_check``) and list the checks in
django-health-check's view: ``HealthCheckView.as_view(checks=[*lifespan_checks(), ...])``
(``checks.py``).
"""
