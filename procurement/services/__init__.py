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
from procurement.services.grouping_editor import (
    grouping_editor_state,
    lines_exclude,
    lines_reinstate,
    lot_move_lines,
    lot_rename,
    lot_set_cpv,
    lot_split,
    lot_update,
    lots_merge,
    state_funding_flags,
    state_funding_warning,
)
from procurement.services.groupings import grouping_create_from_campaign
from procurement.services.imports import (
    ImportReport,
    needs_import_apply,
    needs_import_confirm,
    needs_import_run,
    needs_import_start,
)
from procurement.services.membership import (
    grouping_breakdown,
    grouping_launch,
    grouping_member_add,
    grouping_member_set_status,
    grouping_set_cost_sharing,
    grouping_withdrawal_simulation,
    launch_blockers,
)
from procurement.services.needs import (
    check_site_competence,
    need_line_create,
    need_line_delete,
    need_line_update,
    need_lines_bulk_create,
)
from procurement.services.reminders import campaign_progress, campaign_send_reminders, participation_reopen

__all__ = [
    "CAMPAIGN_TRANSITIONS",
    "ImportReport",
    "campaign_create",
    "campaign_invite",
    "campaign_progress",
    "campaign_send_reminders",
    "campaign_set_status",
    "check_site_competence",
    "grouping_breakdown",
    "grouping_create_from_campaign",
    "grouping_editor_state",
    "grouping_launch",
    "grouping_member_add",
    "grouping_member_set_status",
    "grouping_set_cost_sharing",
    "grouping_withdrawal_simulation",
    "launch_blockers",
    "lines_exclude",
    "lines_reinstate",
    "lot_move_lines",
    "lot_rename",
    "lot_set_cpv",
    "lot_split",
    "lot_update",
    "lots_merge",
    "need_line_create",
    "need_line_delete",
    "need_line_update",
    "need_lines_bulk_create",
    "needs_import_apply",
    "needs_import_confirm",
    "needs_import_run",
    "needs_import_start",
    "participation_reopen",
    "participation_submit",
    "state_funding_flags",
    "state_funding_warning",
]
