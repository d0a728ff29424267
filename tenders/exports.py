"""Open-data exports of the published demand: one row per publication × lot, read from the snapshots.

The columns are documented in `COLUMNS` (name, description) and shown on the public list page.
"""

import csv
import io
from collections.abc import Callable, Iterable, Iterator

from tenders.models import Publication

COLUMNS: list[tuple[str, str]] = [
    ("publication_id", "Identifiant de la publication sur Mutualis."),
    ("url", "Adresse de la page publique de la publication."),
    ("reference", "Référence du groupement de commandes."),
    ("titre", "Intitulé de la demande publiée."),
    ("nature", "Nature du besoin : Fournitures, Services ou Travaux."),
    ("coordonnateur", "Collectivité coordonnatrice du groupement (acheteur qui passera le marché)."),
    ("nombre_membres", "Nombre de membres du groupement."),
    ("membres_par_type", "Nombre de membres par type de collectivité, ex. « commune:12|departement:1 »."),
    ("date_publication", "Date et heure de publication (ISO 8601)."),
    ("lancement_prevu", "Lancement prévu de la consultation (AAAA-MM-JJ), vide si inconnu."),
    ("livraison_debut", "Début prévu des livraisons (AAAA-MM-JJ), vide si inconnu."),
    ("livraison_fin", "Fin prévue des livraisons (AAAA-MM-JJ), vide si inconnue."),
    ("duree_mois", "Durée prévue du marché, en mois."),
    ("reconductions", "Nombre de reconductions prévues."),
    ("lot_numero", "Numéro du lot."),
    ("lot_intitule", "Intitulé du lot."),
    ("famille", "Famille homogène du lot."),
    ("cpv_code", "Code CPV principal du lot (avec clé de contrôle)."),
    ("cpv_libelle", "Libellé du code CPV principal du lot."),
    ("lot_quantite", "Quantité totale mutualisée du lot, toutes unités confondues."),
    ("lot_articles", "Articles du lot : « libellé (quantité unité) », séparés par « | »."),
    ("lot_sites", "Nombre de sites de livraison du lot."),
    ("lot_territoires", "Quantités par territoire : « territoire (quantité) », séparés par « | »."),
]
FIELDNAMES = [name for name, _ in COLUMNS]


def _publication_fields(publication: Publication, url: str) -> dict:
    c = publication.content
    timeline = c.get("timeline", {})
    members = c.get("members", {})
    return {
        "publication_id": publication.pk,
        "url": url,
        "reference": c.get("reference", ""),
        "titre": c.get("title", ""),
        "nature": c.get("nature_label", ""),
        "coordonnateur": c.get("coordinator", {}).get("name", ""),
        "nombre_membres": members.get("count", 0),
        "membres_par_type": "|".join(f"{k}:{v}" for k, v in members.get("by_kind", {}).items()),
        "date_publication": timeline.get("published_at") or "",
        "lancement_prevu": timeline.get("expected_launch_date") or "",
        "livraison_debut": timeline.get("expected_delivery_start") or "",
        "livraison_fin": timeline.get("expected_delivery_end") or "",
        "duree_mois": c.get("duration_months", ""),
        "reconductions": c.get("renewals", ""),
    }


def _lot_fields(lot: dict) -> dict:
    family, cpv = lot.get("family") or {}, lot.get("cpv") or {}
    return {
        "lot_numero": lot["number"],
        "lot_intitule": lot["title"],
        "famille": family.get("name", ""),
        "cpv_code": cpv.get("display_code", ""),
        "cpv_libelle": cpv.get("label", ""),
        "lot_quantite": lot["quantity"],
        "lot_articles": " | ".join(f"{i['label']} ({i['quantity']} {i['unit_label']})" for i in lot["items"]),
        "lot_sites": lot["sites"],
        "lot_territoires": " | ".join(f"{t['name']} ({t['quantity']})" for t in lot["territories"]),
    }


def export_rows(publications: Iterable[Publication], *, url_for: Callable[[Publication], str]) -> Iterator[dict]:
    for publication in publications:
        common = _publication_fields(publication, url_for(publication))
        for lot in publication.content.get("lots", []):
            yield {**common, **_lot_fields(lot)}


def rows_to_csv(rows: Iterable[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDNAMES, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
