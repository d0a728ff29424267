from django.urls import path

from tenders.api import views

urlpatterns = [
    path("public/demands/", views.PublicDemandList.as_view(), name="public_demand_list"),
    path("public/demands/<int:pk>/", views.PublicDemandDetail.as_view(), name="public_demand_detail"),
]
