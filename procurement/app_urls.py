from django.urls import include, path

from procurement import views

app_name = "procurement"

urlpatterns = [
    path("tableau-de-bord/", views.dashboard, name="dashboard"),
    path("campagnes/", views.campaign_list, name="campaign_list"),
    path("campagnes/nouvelle/", views.campaign_create, name="campaign_create"),
    path("campagnes/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campagnes/<int:pk>/statut/", views.campaign_set_status, name="campaign_set_status"),
    path("campagnes/<int:pk>/transmettre/", views.participation_submit, name="participation_submit"),
    path("campagnes/<int:pk>/besoins/nouveau/", views.need_line_create, name="need_line_create"),
    path("campagnes/<int:pk>/groupements/nouveau/", views.grouping_create, name="grouping_create"),
    path("besoins/<int:pk>/modifier/", views.need_line_edit, name="need_line_edit"),
    path("besoins/<int:pk>/supprimer/", views.need_line_delete, name="need_line_delete"),
    path("groupements/", views.grouping_list, name="grouping_list"),
    path("groupements/<int:pk>/", views.grouping_detail, name="grouping_detail"),
    path(
        "groupements/<int:pk>/membres/<int:member_pk>/statut/",
        views.grouping_member_status,
        name="grouping_member_status",
    ),
    path("journal/", views.audit_log, name="audit_log"),
    path("", include("procurement.simulator_urls")),
]
