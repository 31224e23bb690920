"""The URLs of the injection examples."""

from django.urls import path

from docs.examples.injection import frameworks, views

urlpatterns = [
    path("prices/<str:sku>/", views.price_view),
    path("stock/<str:sku>/", views.stock_view),
    path("legacy/prices/<str:sku>/", views.legacy_price_view),
    path("orders/<str:sku>/", views.OrderView.as_view()),
    path("prices.csv", views.price_list_view),
    path("drf/prices/<str:sku>/", frameworks.drf_price_view),
    path("api/", frameworks.api.urls),
]
