from django.urls import path

from catalog.api import learnt, match, review, views

urlpatterns = [
    path("catalog/items/", views.CatalogItemList.as_view(), name="catalog_item_list"),
    path("catalog/items/<slug:code>/", views.CatalogItemDetail.as_view(), name="catalog_item_detail"),
    path("catalog/families/", views.FamilyList.as_view(), name="catalog_family_list"),
    path("cpv/", views.CpvCodeList.as_view(), name="cpv_list"),
    path("match/", match.MatchTexts.as_view(), name="match_texts"),
    path("review/", review.ReviewList.as_view(), name="review_list"),
    path("review/bulk-confirm/", review.ReviewBulkConfirm.as_view(), name="review_bulk_confirm"),
    path("review/rematch/", review.ReviewRematch.as_view(), name="review_rematch"),
    path("review/rematch/<int:pk>/", review.ReviewRematchDetail.as_view(), name="review_rematch_detail"),
    path("need-lines/<int:pk>/confirm/", review.NeedLineConfirm.as_view(), name="needline_confirm"),
    path(
        "need-lines/<int:pk>/outside-catalog/",
        review.NeedLineOutsideCatalog.as_view(),
        name="needline_outside_catalog",
    ),
    path("need-lines/<int:pk>/cpv/", review.NeedLineSetCpv.as_view(), name="needline_set_cpv"),
    path("learnt-aliases/", learnt.LearntAliasList.as_view(), name="learnt_alias_list"),
    path("learnt-aliases/<int:pk>/", learnt.LearntAliasDetail.as_view(), name="learnt_alias_detail"),
]
