from django.urls import path

from procurement.api.simulator import ProcedureSimulationView

urlpatterns = [
    path("procedure-simulations/", ProcedureSimulationView.as_view(), name="procedure-simulation"),
]
