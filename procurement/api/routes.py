from django.urls import include, path

urlpatterns = [
    path("", include("procurement.api.simulator_urls")),
]
