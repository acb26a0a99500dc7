"""Every button offered to a member, kept until pruned; journal texts and stored replies scrubbed once handled"""

from __future__ import annotations

import json

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

KEPT = ("channel", "chat_id", "user_id", "update_id", "time", "kind")  # bot/runtime/journal.py `scrubbed`


def upgrade() -> None:
    op.create_table('offered_choice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('command', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('shown', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('offered_choice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offered_choice_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_offered_choice_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_offered_choice_token'), ['token'], unique=True)
    _scrub_journal()


def _scrub_journal() -> None:
    """Handled updates kept what was typed (invitation codes among it) and answered ones their replies (a
    /moi reply holds a code in clear): both are removed, as the journal now does when it finishes a row."""
    connection = op.get_bind()
    journal = sa.table('inbound_update', sa.column('id', sa.Integer), sa.column('status', sa.String),
                       sa.column('incoming', sa.JSON), sa.column('replies', sa.JSON))
    rows = connection.execute(sa.select(journal.c.id, journal.c.incoming, journal.c.status)
                              .where(journal.c.status != 'pending')).all()
    for row_id, incoming, status in rows:
        data = json.loads(incoming) if isinstance(incoming, str) else dict(incoming)
        values = {'incoming': {key: data.get(key) for key in KEPT}}
        if status in ('answered', 'failed'):
            values['replies'] = []
        connection.execute(journal.update().where(journal.c.id == row_id).values(**values))


def downgrade() -> None:
    op.drop_table('offered_choice')
