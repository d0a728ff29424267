from django.urls import include, path

from procurement import views

app_name = "procurement"

urlpatterns = [
    path("tableau-de-bord/", views.dashboard, name="dashboard"),
    path("campagnes/", views.campaign_list, name="campaign_list"),
    path("groupements/", views.grouping_list, name="grouping_list"),
    path("", include("procurement.simulator_urls")),
]
