"""What ``@inject`` reads at decoration (``specs.py``): injected parameters, the visible signature,
and how positional values map onto it."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from django.http import HttpRequest

from django_lifespan_di import InjectionError, Provide, inject
from django_lifespan_di.specs import marker_parameters
from tests.project.containers import Container, Tracked

FAKE = Tracked("fake")


@inject
def with_extra_keywords(
    first: str, client: Tracked = Provide[Container.http_client], second: str = "", **extra: str
) -> tuple[str, Tracked, str, dict[str, str]]:
    return first, client, second, extra


@inject
def with_variadic_positionals(
    first: str, client: Tracked = Provide[Container.http_client], *rest: str
) -> tuple[str, Tracked, tuple[str, ...]]:
    return first, client, rest


def test_extra_keywords_pass_through_beside_positional_values() -> None:
    # Every injected argument given: no lifespan needed, as in a unit test.
    # (mypy reads the declared signature, in which "b" would be the client.)
    assert with_extra_keywords("a", "b", client=FAKE, colour="red") == (  # type: ignore[misc, arg-type]
        "a",
        FAKE,
        "b",
        {"colour": "red"},
    )


def test_positional_values_for_star_args_behind_an_injected_parameter_are_refused() -> None:
    with pytest.raises(TypeError, match=r"positional values for \*rest would fill the injected "):
        with_variadic_positionals("a", "b", client=FAKE)  # type: ignore[misc, arg-type]
    assert with_variadic_positionals("a", client=FAKE) == ("a", FAKE, ())


def test_only_functions_can_be_decorated() -> None:
    with pytest.raises(
        InjectionError, match=r"decorates a function or method, not a builtins\.int instance"
    ):
        inject(42)  # type: ignore[type-var]


def view_with_unreadable_annotations(
    request: HttpRequest,
    client: Annotated[Any, Provide[NotImported.client]],  # noqa: F821
) -> None:
    pass


def test_annotations_that_may_hide_a_marker_must_be_readable() -> None:
    with pytest.raises(InjectionError, match=r"cannot evaluate its annotations.*NameError"):
        inject(view_with_unreadable_annotations)


def test_the_checks_read_the_defaults_when_the_annotations_are_unreadable() -> None:
    # @inject reports the annotations when it is applied; the system checks do not crash on them.
    assert marker_parameters(view_with_unreadable_annotations) == []


def test_unreadable_annotations_without_markers_are_no_concern() -> None:
    def view(
        request: HttpRequest,
        other: NotImported,  # type: ignore[name-defined]  # noqa: F821
        client: Any = Provide[Container.http_client],
    ) -> None:
        pass

    assert marker_parameters(view) == ["client"]
    assert inject(view).__name__ == "view"
