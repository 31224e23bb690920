"""What one request used, recorded only while a recorder runs (the debug toolbar's panel)."""

from __future__ import annotations

from django_lifespan_di import Provide, inject, recording
from tests.project.containers import Tracked
from tests.support.engine import make_runtime
from tests.support.fault_containers import ShapesContainer


@inject
async def two_shapes(
    async_context: Tracked = Provide[ShapesContainer.async_context],
    plain: Tracked = Provide[ShapesContainer.plain],
) -> list[Tracked]:
    return [async_context, plain]


async def test_a_recorder_gets_each_parameter_and_each_per_request_resource() -> None:
    runtime = make_runtime(ShapesContainer)
    await runtime.start()
    try:
        await two_shapes()  # not recorded
        record = recording.RequestRecord()
        with recording.recording(record):
            assert recording.active()
            await two_shapes(plain=Tracked("given"))
            await two_shapes()
    finally:
        await runtime.stop()

    assert not recording.active()
    name = "tests.test_recording.two_shapes"
    marker = "Provide[tests.support.fault_containers.ShapesContainer.{}]"
    assert record.injected == [
        recording.Injected(name, "async_context", marker.format("async_context"), "per call"),
        recording.Injected(name, "plain", marker.format("plain"), "given"),
        recording.Injected(name, "async_context", marker.format("async_context"), "per call"),
        recording.Injected(name, "plain", marker.format("plain"), "per call"),
    ]
    opened = [(t.name, t.function) for t in record.request_resources]
    assert opened == [
        ("ShapesContainer.async_context", name),
        ("ShapesContainer.async_context", name),
        ("ShapesContainer.plain", name),
    ]
    context, _, plain = record.request_resources
    assert context.closed_at is not None
    assert context.close_ms is not None
    assert context.opened_at <= context.closed_at
    assert context.close_error is None
    # A plain function's object has nothing to close.
    assert (plain.closed_at, plain.close_ms) == (None, None)
