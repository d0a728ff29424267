"""Atom feed of the published demand, in French, read from the frozen snapshots."""

import datetime

from django.contrib.syndication.views import Feed
from django.urls import reverse, reverse_lazy
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from tenders.models import Publication
from tenders.selectors_public import published_publications

FEED_SIZE = 50


class DemandFeed(Feed):
    feed_type = Atom1Feed
    language = "fr"
    title = "Mutualis — marchés à venir"
    subtitle = "Demande agrégée publiée par les groupements de commandes de collectivités, avant consultation."
    link = reverse_lazy("tenders:demand_list")

    def items(self):
        return published_publications().order_by("-published_at", "-pk")[:FEED_SIZE]

    def item_title(self, item: Publication) -> str:
        return item.content.get("title") or item.title

    def item_description(self, item: Publication) -> str:
        """HTML (Atom `type="html"`): snapshot texts are escaped, lines joined with <br>."""
        c = item.content
        lines = [c.get("summary", "")]
        lines.append(f"Coordonnateur : {c['coordinator']['name']} — {c['members']['count']} membre(s).")
        launch = c["timeline"].get("expected_launch_date")
        if launch:
            lines.append(f"Lancement prévu de la consultation : {datetime.date.fromisoformat(launch):%d/%m/%Y}.")
        for lot in c.get("lots", []):
            lines.append(f"Lot {lot['number']} — {lot['title']} : {lot['quantity']} au total.")
        return "<br>\n".join(escape(line) for line in lines if line)

    def item_link(self, item: Publication) -> str:
        return reverse("tenders:demand_detail", args=[item.pk])

    def item_pubdate(self, item: Publication) -> datetime.datetime:
        return item.published_at

    def item_categories(self, item: Publication) -> list[str]:
        return list(item.content.get("facets", {}).get("families", {}).values())

    def item_author_name(self, item: Publication) -> str:
        return item.content["coordinator"]["name"]
