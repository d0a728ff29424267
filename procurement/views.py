from django.contrib.auth.decorators import login_required
from django.shortcuts import render


def home(request):
    return render(request, "home.html")


def accessibility(request):
    return render(request, "accessibility.html")


def sources(request):
    return render(request, "sources.html")


@login_required
def dashboard(request):
    return render(request, "procurement/dashboard.html", {"nav": "dashboard"})


@login_required
def campaign_list(request):
    return render(request, "procurement/campaign_list.html", {"nav": "campaigns"})


@login_required
def grouping_list(request):
    return render(request, "procurement/grouping_list.html", {"nav": "groupings"})
