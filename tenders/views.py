from django.shortcuts import render

from tenders.models import Publication


def demand_list(request):
    publications = Publication.objects.published()[:50]
    return render(request, "tenders/demand_list.html", {"publications": publications, "nav": "demands"})
