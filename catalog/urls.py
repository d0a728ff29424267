from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.item_list, name="item_list"),
    # Before the item pages: "revue" is not an item code.
    path("apercu-rapprochement/", views.match_preview, name="match_preview"),
    path("revue/campagnes/<int:pk>/", views.review_queue, name="review_queue"),
    path("revue/campagnes/<int:pk>/confirmer/", views.review_bulk_confirm, name="review_bulk_confirm"),
    path("revue/campagnes/<int:pk>/relancer/", views.review_rematch, name="review_rematch"),
    path("revue/campagnes/<int:pk>/relances/<int:job_pk>/", views.review_rematch_status, name="review_rematch_status"),
    path("revue/lignes/<int:pk>/confirmer/", views.review_confirm, name="review_confirm"),
    path("revue/lignes/<int:pk>/hors-catalogue/", views.review_outside_catalog, name="review_outside_catalog"),
    path("revue/lignes/<int:pk>/code-cpv/", views.review_set_cpv, name="review_set_cpv"),
    path("appris/", views.learnt_aliases, name="learnt_aliases"),
    path("appris/<int:pk>/retirer/", views.learnt_alias_forget, name="learnt_alias_forget"),
    path("<slug:code>/", views.item_detail, name="item_detail"),
]
