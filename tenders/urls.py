from django.urls import path

from tenders import views

app_name = "tenders"

urlpatterns = [
    path("marches-a-venir/", views.demand_list, name="demand_list"),
    path("marches-a-venir/flux.xml", views.demand_list, name="demand_feed"),
]
