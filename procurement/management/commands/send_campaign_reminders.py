"""E-mail the late members of open campaigns (once a day at most per member).

    manage.py send_campaign_reminders [--campaign ID] [--dry-run]

Meant for a daily cron or Celery beat entry (the task `procurement.send_campaign_reminders` does the same).
"""

from django.core.management.base import BaseCommand, CommandError

from procurement.models import Campaign
from procurement.services.reminders import campaign_send_reminders, campaigns_to_remind, reminder_recipients


class Command(BaseCommand):
    help = "Relance par courriel les membres qui n'ont pas transmis leur déclaration."

    def add_arguments(self, parser):
        parser.add_argument("--campaign", type=int, help="Une seule campagne (sinon : toutes celles ouvertes)")
        parser.add_argument("--dry-run", action="store_true", help="Afficher les relances sans les envoyer")

    def handle(self, *args, **options):
        if options["campaign"] is not None:
            campaigns = list(Campaign.objects.filter(pk=options["campaign"]))
            if not campaigns:
                raise CommandError(f"Aucune campagne n° {options['campaign']}.")
        else:
            campaigns = campaigns_to_remind()
        total = 0
        for campaign in campaigns:
            if options["dry_run"]:
                for participation, users in reminder_recipients(campaign=campaign):
                    emails = ", ".join(user.email for user in users)
                    self.stdout.write(f"[{campaign.title}] {participation.collectivity.name} : {emails}")
                    total += 1
            else:
                total += campaign_send_reminders(campaign=campaign)
        verb = "seraient relancés" if options["dry_run"] else "relancés"
        self.stdout.write(self.style.SUCCESS(f"{total} membre(s) {verb}."))
