from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from procurement import views

urlpatterns = [
    path("", views.home, name="home"),
    path("connexion/", auth_views.LoginView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("sources/", views.sources, name="sources"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("procurement.api.urls")),
    path("catalogue/", include("catalog.urls")),
    path("documents/", include("reports.urls")),
    path("", include("tenders.urls")),
    path("", include("procurement.app_urls")),
]
