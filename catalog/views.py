from django.shortcuts import render

from catalog.models import CatalogItem


def item_list(request):
    items = CatalogItem.objects.active().select_related("family", "cpv")[:100]
    return render(request, "catalog/item_list.html", {"items": items, "nav": "catalog"})
