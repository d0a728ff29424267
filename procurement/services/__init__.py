"""State changes of the core domain. Each service runs in one transaction, validates, and writes an audit row.

Callers (views, API, commands, tasks) pass the acting user explicitly and never save domain models themselves.
"""

from procurement.services.campaigns import (
    CAMPAIGN_TRANSITIONS,
    campaign_create,
    campaign_invite,
    campaign_set_status,
    participation_submit,
)
from procurement.services.groupings import grouping_create_from_campaign, grouping_member_set_status
from procurement.services.needs import (
    check_site_competence,
    need_line_create,
    need_line_delete,
    need_line_update,
    need_lines_bulk_create,
)

__all__ = [
    "CAMPAIGN_TRANSITIONS",
    "campaign_create",
    "campaign_invite",
    "campaign_set_status",
    "check_site_competence",
    "grouping_create_from_campaign",
    "grouping_member_set_status",
    "need_line_create",
    "need_line_delete",
    "need_line_update",
    "need_lines_bulk_create",
    "participation_submit",
]
