from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularRedocView.as_view(url_name="api:schema"), name="docs"),
    path("", include("procurement.api.routes")),
    path("", include("catalog.api.urls")),
    path("", include("tenders.api.urls")),
    path("", include("reports.api.urls")),
]
