"""Tables and the database session. Nothing else lives here: every other layer imports it, it imports none."""

from models.db import make_engine, init_db, session_scope
from models.organisation import Unit, Member, ChannelAccount, Invite, Absence
from models.plan import Plan, Task, Assignment, Event, Extension
from models.progress import AnnualReport, EvidenceFile, ProgressUpdate, UpdateInForce
from models.conversation import FormState, MenuState, OfferedChoice
from models.outbox import Outbox
from models.inbound import InboundUpdate
from models.audit import AuditLog

__all__ = [
    "make_engine", "init_db", "session_scope",
    "Unit", "Member", "ChannelAccount", "Invite", "Absence",
    "Plan", "Task", "Assignment", "Event", "Extension",
    "ProgressUpdate", "UpdateInForce", "AnnualReport", "EvidenceFile", "FormState", "MenuState", "OfferedChoice", "Outbox", "InboundUpdate", "AuditLog",
]
