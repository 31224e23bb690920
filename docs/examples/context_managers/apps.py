"""Register the lifespan managers once Django is set up."""

from __future__ import annotations

from django.apps import AppConfig

from django_lifespan_di import register_lifespan_manager
from docs.examples.context_managers import managers


# --8<-- [start:ready]
class SearchConfig(AppConfig):
    name = "docs.examples.context_managers"
    label = "search"

    def ready(self) -> None:
        # Started in this order, after every resource; stopped in the reverse order.
        register_lifespan_manager(context_manager=managers.geocoder_client)
        register_lifespan_manager(context_manager=managers.pruning_in_background)


# --8<-- [end:ready]
