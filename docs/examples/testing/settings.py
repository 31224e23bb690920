"""The example project's settings, as the testing guide's pytest configuration names them."""

SECRET_KEY = "docs-example-not-secret"
USE_TZ = True
INSTALLED_APPS = ["django_lifespan_di"]
MIDDLEWARE = ["django_lifespan_di.middleware.LifespanStateMiddleware"]
ROOT_URLCONF = "docs.examples.testing.urls"
LIFESPAN_DI = {"CONTAINERS": ["docs.examples.testing.containers.Container"]}
