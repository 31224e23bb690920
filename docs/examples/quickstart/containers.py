"""What the lifespan opens at server start and closes at server stop."""

# --8<-- [start:quickstart]
import httpx
from dependency_injector import containers, providers


class Container(containers.DeclarativeContainer):
    config = providers.Configuration()
    config.weather_api_url.from_env("WEATHER_API_URL", default="https://weather.example.com")

    # One client per server process: every request shares its connection pool.
    http_client = providers.Resource(httpx.AsyncClient, base_url=config.weather_api_url)


# --8<-- [end:quickstart]
