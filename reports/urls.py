from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("groupements/<int:grouping_pk>/generer/", views.generate, name="generate"),
    path("<int:pk>/telecharger/", views.download, name="download"),
    path("<int:pk>/statut/", views.status, name="status"),
]
