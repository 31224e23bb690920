"""The package's errors travel: a ``StartupError`` rebuilt from its ``args`` (pickle, Celery's
JSON results of a refused task) still says what failed and names the culprit."""

from __future__ import annotations

import pickle

from django_lifespan_di import ShutdownError, StartupError

MESSAGE = "Container.http_client failed to start: ConnectionRefusedError: refused"
CHECK_ID = "django_lifespan_di.E106"  # one that a StartupError carries (graph.py)


def test_a_startup_error_survives_pickling() -> None:
    error = StartupError(MESSAGE, culprit="Container.http_client", check_id=CHECK_ID)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is StartupError
    assert str(copy) == MESSAGE
    assert (copy.culprit, copy.check_id) == ("Container.http_client", CHECK_ID)


def test_a_startup_error_rebuilt_from_its_args_names_the_culprit() -> None:
    # What Celery does with a failed task's exception under its default (JSON) serializer.
    copy = StartupError(*StartupError(MESSAGE, culprit="Container.http_client").args)
    assert str(copy) == MESSAGE
    assert copy.culprit == "Container.http_client"


def test_a_shutdown_error_survives_pickling_with_its_failures() -> None:
    error = ShutdownError([("Container.cache", RuntimeError("cache failed to close"))])
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error)
    [(name, failure)] = copy.failures
    assert name == "Container.cache"
    assert isinstance(failure, RuntimeError)
