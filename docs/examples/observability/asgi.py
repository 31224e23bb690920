"""A project's asgi.py with OpenTelemetry: a tracer provider set before the application is made.

The lifespan traces itself when a tracer provider is set by the time it starts: its startup
and its shutdown, each a span with a child per resource. Here the spans go to the console, one
JSON object per line; a real project exports them over OTLP (``opentelemetry-exporter-otlp``)
instead, or lets ``opentelemetry-instrument`` set the provider up from environment variables.
"""

# --8<-- [start:tracing]
import os

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

from django_lifespan_di.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myproject.settings")


def one_line(span: ReadableSpan) -> str:
    return f"{span.to_json(indent=None)}\n"


provider = TracerProvider(resource=Resource.create({"service.name": "myproject"}))
# Spans are exported in batches, off the request path; the provider flushes at exit, after the
# lifespan has shut down.
provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter(formatter=one_line)))
trace.set_tracer_provider(provider)

application = get_asgi_application()
# --8<-- [end:tracing]
