from django.urls import path

from reports.api import views

urlpatterns = [
    path(
        "groupings/<int:grouping_pk>/documents/",
        views.GroupingDocuments.as_view(),
        name="reports_grouping_documents",
    ),
    path("documents/<int:pk>/", views.DocumentDetail.as_view(), name="reports_document_detail"),
    path("documents/<int:pk>/download/", views.DocumentDownload.as_view(), name="reports_document_download"),
]
