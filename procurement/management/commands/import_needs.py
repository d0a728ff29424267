"""Import a needs file (XLSX or CSV) into a campaign for one member, all or nothing.

    manage.py import_needs besoins.xlsx --campaign 12 --collectivite 35047 [--dry-run] [--format json]

--collectivite is the INSEE code or the SIREN of the member. Without --utilisateur the import is a system import
(no user rights checked, the campaign rules still apply). Exits with status 1 when the file is refused.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from procurement.errors import DomainError
from procurement.imports import issue_text
from procurement.models import Campaign, Collectivity, User
from procurement.services.imports import ImportReport, needs_import_run


class Command(BaseCommand):
    help = "Importe un fichier de besoins (XLSX ou CSV) dans une campagne pour une collectivité membre."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Fichier .xlsx ou .csv")
        parser.add_argument("--campaign", type=int, required=True, help="Identifiant de la campagne")
        parser.add_argument("--collectivite", required=True, help="Code INSEE ou SIREN de la collectivité membre")
        parser.add_argument("--utilisateur", help="Identifiant de l'utilisateur au nom de qui importer")
        parser.add_argument("--dry-run", action="store_true", help="Vérifier sans rien enregistrer")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **options):
        as_json = options["format"] == "json"
        try:
            report = self._run(options)
        except DomainError as exc:
            return self._fail(exc.message, as_json=as_json)
        if as_json:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            self._print(report, dry_run=options["dry_run"])
        if not report.ok:
            raise CommandError(
                f"Fichier refusé : {report.error_count} erreur(s), rien n'a été enregistré.", returncode=1
            )

    def _run(self, options) -> ImportReport:
        path = Path(options["file"])
        if not path.is_file():
            raise DomainError(f"Fichier introuvable : {path}")
        campaign = Campaign.objects.filter(pk=options["campaign"]).first()
        if campaign is None:
            raise DomainError(f"Aucune campagne n° {options['campaign']}.")
        collectivity = self._collectivity(campaign, options["collectivite"].strip())
        actor = None
        if options.get("utilisateur"):
            actor = User.objects.filter(username=options["utilisateur"]).first()
            if actor is None:
                raise DomainError(f"Aucun utilisateur « {options['utilisateur']} ».")
        return needs_import_run(
            campaign=campaign,
            collectivity=collectivity,
            actor=actor,
            filename=path.name,
            content=path.read_bytes(),
            dry_run=options["dry_run"],
        )

    def _collectivity(self, campaign: Campaign, code: str) -> Collectivity:
        matches = list(Collectivity.objects.filter(Q(insee_code=code) | Q(siren=code)))
        if len(matches) > 1:  # an INSEE code is unique per kind only: keep the campaign's members
            matches = [c for c in matches if campaign.participations.filter(collectivity=c).exists()]
        if not matches:
            raise DomainError(f"Aucune collectivité avec le code INSEE ou le SIREN « {code} ».")
        if len(matches) > 1:
            raise DomainError(f"Le code « {code} » désigne plusieurs collectivités : indiquez le SIREN.")
        return matches[0]

    def _fail(self, message: str, *, as_json: bool):
        if as_json:
            issue = {"sheet": None, "row": None, "column": None, "header": None, "message": message}
            payload = {
                "ok": False,
                "applied": False,
                "counts": {},
                "error_count": 1,
                "errors": [{**issue, "text": message}],
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
        raise CommandError(message, returncode=1)

    def _print(self, report: ImportReport, *, dry_run: bool) -> None:
        counts = report.counts
        if report.ok:
            verb = "seraient" if dry_run or not report.applied else "ont été"
            self.stdout.write(
                self.style.SUCCESS(
                    f"{counts.get('rows', 0)} lignes lues : {counts.get('create', 0)} {verb} créées, "
                    f"{counts.get('update', 0)} mises à jour, {counts.get('unchanged', 0)} déjà à jour."
                )
            )
            return
        self.stderr.write(f"{report.error_count} erreur(s) ; aucune ligne n'a été enregistrée :")
        for issue in report.errors:
            self.stderr.write(f"- {issue_text(issue)}")
        if report.error_count > len(report.errors):
            self.stderr.write(f"… et {report.error_count - len(report.errors)} autre(s).")
