from django.urls import include, path

from procurement import grouping_views, import_views, views

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
        grouping_views.grouping_member_status,
        name="grouping_member_status",
    ),
    path("groupements/<int:pk>/lots/", grouping_views.grouping_editor, name="grouping_editor"),
    path("groupements/<int:pk>/lots/fusionner/", grouping_views.grouping_lots_merge, name="grouping_lots_merge"),
    path(
        "groupements/<int:pk>/lots/<int:number>/lignes/",
        grouping_views.grouping_lot_lines,
        name="grouping_lot_lines",
    ),
    path(
        "groupements/<int:pk>/lots/<int:number>/scinder-par-membre/",
        grouping_views.grouping_lot_split_by_member,
        name="grouping_lot_split_by_member",
    ),
    path(
        "groupements/<int:pk>/lots/<int:number>/modifier/",
        grouping_views.grouping_lot_update,
        name="grouping_lot_update",
    ),
    path(
        "groupements/<int:pk>/lignes-exclues/reintegrer/",
        grouping_views.grouping_lines_reinstate,
        name="grouping_lines_reinstate",
    ),
    path("groupements/<int:pk>/membres/ajouter/", grouping_views.grouping_member_add, name="grouping_member_add"),
    path("groupements/<int:pk>/lancer/", grouping_views.grouping_launch, name="grouping_launch"),
    path(
        "groupements/<int:pk>/frais-de-coordination/",
        grouping_views.grouping_cost_sharing,
        name="grouping_cost_sharing",
    ),
    path("groupements/<int:pk>/simulation-retrait/", grouping_views.grouping_whatif, name="grouping_whatif"),
    path("journal/", views.audit_log, name="audit_log"),
    path("", include("procurement.simulator_urls")),
    # Needs census follow-up and Excel round trip
    path("campagnes/<int:pk>/avancement/", import_views.campaign_progress, name="campaign_progress"),
    path("campagnes/<int:pk>/avancement/rouvrir/", import_views.participation_reopen, name="participation_reopen"),
    path("campagnes/<int:pk>/avancement/relancer/", import_views.campaign_remind, name="campaign_remind"),
    path("campagnes/<int:pk>/modele.xlsx", import_views.campaign_template, name="campaign_template"),
    path("campagnes/<int:pk>/export.xlsx", import_views.campaign_export, name="campaign_export"),
    path("campagnes/<int:pk>/import/", import_views.campaign_import, name="campaign_import"),
    path("campagnes/<int:pk>/import/<int:job_pk>/", import_views.campaign_import_detail, name="campaign_import_detail"),
    path(
        "campagnes/<int:pk>/import/<int:job_pk>/etat/",
        import_views.campaign_import_status,
        name="campaign_import_status",
    ),
    path(
        "campagnes/<int:pk>/import/<int:job_pk>/confirmer/",
        import_views.campaign_import_confirm,
        name="campaign_import_confirm",
    ),
]
