"""The URLs of the outside-views examples."""

from django.urls import path

from docs.examples.outside_views import views

urlpatterns = [
    path("prices/<str:sku>/", views.price_view),
    path("orders/<str:sku>/", views.place_order_view),
    path("health/pricing/", views.pricing_health_view),
]
