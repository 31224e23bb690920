"""What a ``LIFESPAN_DI["CONTAINERS"]`` entry may point at by mistake: an object that is no
container (and whose ``repr()`` holds a secret), a container that cannot be instantiated where the
command runs (its configuration file is absent, as in a build step)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dependency_injector import containers, providers

#: Never printed by a message of the package.
PASSWORD = "s3cret-in-the-repr"


@dataclass
class DatabaseSettings:
    """A settings object; the dataclass ``repr()`` shows every field."""

    host: str
    password: str


database_settings = DatabaseSettings("db.internal", PASSWORD)

ABSENT_CONFIG = Path(__file__).with_name("absent-config.json")


class MissingConfigContainer(containers.DeclarativeContainer):
    """Its configuration file is required and absent: instantiating it raises FileNotFoundError."""

    config = providers.Configuration(json_files=[ABSENT_CONFIG], strict=True)
