from django.urls import include, path

from procurement.api import views

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("campaigns/", views.CampaignList.as_view(), name="campaign-list"),
    path("campaigns/<int:pk>/", views.CampaignDetail.as_view(), name="campaign-detail"),
    path("campaigns/<int:pk>/participations/", views.CampaignParticipations.as_view(), name="campaign-participations"),
    path("need-lines/", views.NeedLineListCreate.as_view(), name="needline-list"),
    path("need-lines/<int:pk>/", views.NeedLineDetail.as_view(), name="needline-detail"),
    path("groupings/", views.GroupingListCreate.as_view(), name="grouping-list"),
    path("groupings/<int:pk>/", views.GroupingDetail.as_view(), name="grouping-detail"),
    path("", include("procurement.api.simulator_urls")),
]
