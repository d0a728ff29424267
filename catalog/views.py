"""Public catalog pages: the list (search, family filter, sort, pagination) and one item's detail."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from catalog import selectors

PAGE_SIZE = 50


def item_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:200]
    family = request.GET.get("famille", "").strip()[:50]
    ordering = request.GET.get("tri", "")
    if ordering not in selectors.ITEM_ORDERINGS:
        ordering = ""
    items = selectors.catalog_items(search=search, family=family, ordering=ordering)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "families": selectors.families(),
        "search": search,
        "family": family,
        "tri": ordering,
        "query": query.urlencode(),
        "nav": "catalog",
    }
    return render(request, "catalog/item_list.html", context)


def item_detail(request: HttpRequest, code: str) -> HttpResponse:
    item = selectors.get_catalog_item(code=code)
    context = {"item": item, "aliases": selectors.global_aliases(item=item), "nav": "catalog"}
    return render(request, "catalog/item_detail.html", context)
