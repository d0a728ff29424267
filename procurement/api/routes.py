from django.urls import include, path

from procurement.api import groupings, views
from procurement.imports import api as imports_api

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("campaigns/", views.CampaignList.as_view(), name="campaign-list"),
    path("campaigns/<int:pk>/", views.CampaignDetail.as_view(), name="campaign-detail"),
    path("campaigns/<int:pk>/participations/", views.CampaignParticipations.as_view(), name="campaign-participations"),
    path("need-lines/", views.NeedLineListCreate.as_view(), name="needline-list"),
    path("need-lines/<int:pk>/", views.NeedLineDetail.as_view(), name="needline-detail"),
    path("groupings/", views.GroupingListCreate.as_view(), name="grouping-list"),
    path("groupings/<int:pk>/", views.GroupingDetail.as_view(), name="grouping-detail"),
    path("groupings/<int:pk>/lots/", groupings.GroupingLots.as_view(), name="grouping-lots"),
    path("groupings/<int:pk>/lots/merge/", groupings.LotsMerge.as_view(), name="grouping-lots-merge"),
    path("groupings/<int:pk>/lots/<int:number>/", groupings.LotDetail.as_view(), name="grouping-lot-detail"),
    path(
        "groupings/<int:pk>/lots/<int:number>/move-lines/",
        groupings.LotMoveLines.as_view(),
        name="grouping-lot-move-lines",
    ),
    path("groupings/<int:pk>/lots/<int:number>/split/", groupings.LotSplit.as_view(), name="grouping-lot-split"),
    path("groupings/<int:pk>/lines/exclude/", groupings.LinesExclude.as_view(), name="grouping-lines-exclude"),
    path("groupings/<int:pk>/lines/reinstate/", groupings.LinesReinstate.as_view(), name="grouping-lines-reinstate"),
    path("groupings/<int:pk>/members/", groupings.GroupingMembersAdd.as_view(), name="grouping-members"),
    path(
        "groupings/<int:pk>/members/<int:member_pk>/status/",
        groupings.GroupingMemberStatusView.as_view(),
        name="grouping-member-status",
    ),
    path("groupings/<int:pk>/launch/", groupings.GroupingLaunch.as_view(), name="grouping-launch"),
    path("groupings/<int:pk>/breakdown/", groupings.GroupingBreakdown.as_view(), name="grouping-breakdown"),
    path("groupings/<int:pk>/cost-sharing/", groupings.GroupingCostSharing.as_view(), name="grouping-cost-sharing"),
    path(
        "groupings/<int:pk>/withdrawal-simulation/",
        groupings.GroupingWithdrawalSimulation.as_view(),
        name="grouping-withdrawal-simulation",
    ),
    path("", include("procurement.api.simulator_urls")),
    # Needs census: Excel round trip
    path("campaigns/<int:pk>/imports/", imports_api.CampaignImportCreate.as_view(), name="campaign-imports"),
    path(
        "campaigns/<int:pk>/imports/<int:job_pk>/",
        imports_api.CampaignImportDetail.as_view(),
        name="campaign-import-detail",
    ),
    path(
        "campaigns/<int:pk>/imports/<int:job_pk>/confirm/",
        imports_api.CampaignImportConfirm.as_view(),
        name="campaign-import-confirm",
    ),
    path("campaigns/<int:pk>/export.xlsx", imports_api.CampaignExport.as_view(), name="campaign-export"),
    path("campaigns/<int:pk>/template.xlsx", imports_api.CampaignTemplate.as_view(), name="campaign-template"),
]
