from django.urls import path

from tenders import views
from tenders.feeds import DemandFeed

app_name = "tenders"

urlpatterns = [
    path("marches-a-venir/", views.demand_list, name="demand_list"),
    path("marches-a-venir/flux.xml", DemandFeed(), name="demand_feed"),
    path("marches-a-venir/export.csv", views.demand_export_csv, name="demand_export_csv"),
    path("marches-a-venir/export.json", views.demand_export_json, name="demand_export_json"),
    path("marches-a-venir/<int:pk>/", views.demand_detail, name="demand_detail"),
    path("marches-a-venir/<int:pk>/ocds.json", views.demand_ocds, name="demand_ocds"),
    path("marches-a-venir/<int:pk>/retirer/", views.withdraw, name="withdraw"),
    path("groupements/<int:grouping_pk>/publier/", views.publish, name="publish"),
    path("espace-fournisseur/", views.vendor_home, name="vendor_home"),
]
