"""Who may do what: the one place where roles become permissions.

The dispatcher checks a command's permission before running it (its table names one per command), and views
inside a command declare theirs the same way (handlers/report.py), so a button press, which runs a command
again as the member who pressed it, meets the same check. What "own unit" means is enforced by the queries:
a form offers, and accepts back, only the member's unit's assignments.
"""

from __future__ import annotations

from enum import StrEnum

from handlers.machinery.context import Context
from handlers.machinery.messages import Reply
from locales import N_
from models import Member
from models.organisation import Role


class Permission(StrEnum):
    OWN_UNIT = "own_unit"  # see and report on the member's own unit's tasks
    READ_ALL = "read_all"  # every unit's reports, the consolidation and its files
    REMIND = "remind"  # remind units now
    RECORD_EVENTS = "record_events"  # record the event a task waits for
    REVIEW = "review"  # accept or return what units send; grant or refuse extensions
    ADMINISTER = "administer"  # invite members, manage units and roles


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.OFFICER: frozenset({Permission.OWN_UNIT}),
    Role.VIEWER: frozenset({Permission.OWN_UNIT, Permission.READ_ALL}),
    Role.MANAGER: frozenset({Permission.OWN_UNIT, Permission.READ_ALL, Permission.REMIND, Permission.RECORD_EVENTS,
                             Permission.REVIEW}),
    Role.ADMIN: frozenset(Permission),
}

REVIEWERS = frozenset(role.value for role, grants in GRANTS.items() if Permission.REVIEW in grants)

REFUSALS: dict[Permission, str] = {
    Permission.OWN_UNIT: N_("This command is for registered members."),
    Permission.READ_ALL: N_("This command is for managers and viewers of Sở KH&CN."),
    Permission.REMIND: N_("Only managers of Sở KH&CN can remind units."),
    Permission.RECORD_EVENTS: N_("Only managers of Sở KH&CN can record events."),
    Permission.REVIEW: N_("Only managers of Sở KH&CN can review what units send."),
    Permission.ADMINISTER: N_("Only administrators can invite members."),
}


def can(member: Member, permission: Permission) -> bool:
    try:
        return permission in GRANTS[Role(member.role)]
    except ValueError:  # a role this code does not know grants nothing
        return False


def refusal(ctx: Context, permission: Permission) -> list[Reply]:
    return [Reply(ctx.lang._(REFUSALS[permission]))]
