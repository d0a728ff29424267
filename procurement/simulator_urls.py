from django.urls import path

from procurement import simulator_views

urlpatterns = [
    path("simulateur/", simulator_views.simulator, name="simulator"),
]
