from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

app_name = "api"


class ApiDocsView(SpectacularRedocView):
    """ReDoc, served from the app (sidecar). Its footer badge points at Redocly's CDN: the policy below keeps the
    browser from fetching any image, font or data from another origin."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Security-Policy"] = "img-src 'self' data:; font-src 'self' data:; connect-src 'self'"
        return response


urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", ApiDocsView.as_view(url_name="api:schema"), name="docs"),
    path("", include("procurement.api.routes")),
    path("", include("catalog.api.urls")),
    path("", include("tenders.api.urls")),
    path("", include("reports.api.urls")),
]
