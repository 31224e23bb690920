from __future__ import annotations

from django.urls import include, path
from health_check.views import HealthCheckView

from django_lifespan_di import readiness_view
from django_lifespan_di.contrib.health_check.checks import lifespan_checks
from tests.project import database_views, fault_views, injected_views, task_views, views

urlpatterns = [
    path("state/", views.state_view),
    path("ready/", readiness_view),
    path("health/", include("django_lifespan_di.health.urls")),
    path("health-check/", HealthCheckView.as_view(checks=lifespan_checks()), name="health_check"),
    path("sync-state/", views.sync_state_view),
    path("orm/", views.orm_view),
    path("database/", database_views.database_view),
    path("database/pool/", database_views.pool_view),
    path("slow/", fault_views.slow_view),
    path("slow-unit-of-work/", fault_views.slow_unit_of_work_view),
    path("slow-sync-unit-of-work/", fault_views.slow_sync_unit_of_work_view),
    path("first-use/", fault_views.first_use_view),
    path("loop-check/", fault_views.loop_check_view),
    path("inject/async/<str:name>/", injected_views.async_view),
    path("inject/sync/", injected_views.sync_view),
    path("inject/reporter/", injected_views.reporter_view),
    path("inject/sync-factory/", injected_views.sync_factory_view),
    path("inject/sync-orm/", injected_views.sync_orm_view),
    path("inject/sync-orm-unit-of-work/", injected_views.sync_orm_unit_of_work_view),
    path("inject/async-orm/", injected_views.async_orm_view),
    path("inject/async-class/", injected_views.AsyncClassView.as_view()),
    path("inject/sync-class/", injected_views.SyncClassView.as_view()),
    path("inject/unit-of-work/", injected_views.unit_of_work_view),
    path("inject/sync-unit-of-work/", injected_views.sync_unit_of_work_view),
    path("inject/provider/", injected_views.provider_view),
    path("inject/drf/", injected_views.drf_view),
    path("inject/drf-class/", injected_views.DrfClassView.as_view()),
    path("inject/ninja/", injected_views.ninja_api.urls),
    path("tasks/enqueue-async/", task_views.enqueue_async_view),
    path("tasks/enqueue-sync/", task_views.enqueue_sync_view),
]
