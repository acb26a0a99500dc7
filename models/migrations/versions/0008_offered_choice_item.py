"""A button remembers the item it decides ("u12", "a5", "e7"), so that pruning keeps the buttons of undecided
items without reading their commands' words; the buttons already offered get theirs from their command"""

from __future__ import annotations

import re

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# The commands that decided an item when this migration was written, and how the item was named in them.
_DECIDING = (
    (re.compile(r"^/giahan (?:dongy|tuchoi) (\d{1,12})$"), "e"),
    (re.compile(r"^/duyet (?:\S+ )?(?:nhan|tralai|sau) ([ua]\d{1,12})$"), ""),
    (re.compile(r"^/duyet (?:\S+ )?([ua]\d{1,12})$"), ""),
    (re.compile(r"^/sualai ([ua]\d{1,12})$"), ""),
)


def upgrade() -> None:
    with op.batch_alter_table('offered_choice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('item', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True))
    choices = sa.table('offered_choice', sa.column('id', sa.Integer()), sa.column('command', sa.String()),
                       sa.column('item', sa.String()))
    connection = op.get_bind()
    found = []
    for choice_id, command in connection.execute(sa.select(choices.c.id, choices.c.command)):
        for pattern, prefix in _DECIDING:
            if match := pattern.match(command):
                found.append({"choice_id": choice_id, "item": prefix + match.group(1)})
                break
    if found:
        connection.execute(choices.update().where(choices.c.id == sa.bindparam("choice_id"))
                           .values(item=sa.bindparam("item")), found)


def downgrade() -> None:
    with op.batch_alter_table('offered_choice', schema=None) as batch_op:
        batch_op.drop_column('item')
