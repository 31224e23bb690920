"""The order of INSTALLED_APPS that makes this package's runserver the one in use."""

# --8<-- [start:installed-apps]
INSTALLED_APPS = [
    # Above django.contrib.staticfiles (and daphne): the first app that provides a runserver
    # command wins, and this one lets the lifespan shut down (check W205).
    "django_lifespan_di",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.staticfiles",
]
# --8<-- [end:installed-apps]
