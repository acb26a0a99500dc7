"""The update in force of each assignment and period, stored; menus answerable by typed numbers."""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('update_in_force',
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('progress_update_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignment.id'], ),
    sa.ForeignKeyConstraint(['progress_update_id'], ['progressupdate.id'], ),
    sa.PrimaryKeyConstraint('assignment_id', 'period'),
    sa.UniqueConstraint('progress_update_id')
    )
    with op.batch_alter_table('menustate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answerable', sa.Boolean(), nullable=False, server_default=sa.true()))
    _fill_update_in_force()


def _fill_update_in_force() -> None:
    """Until now the newest update of an assignment in a period was the one in force: the same rule, once."""
    updates = sa.table('progressupdate', sa.column('id', sa.Integer), sa.column('assignment_id', sa.Integer),
                       sa.column('period', sa.String), sa.column('created_at', sa.DateTime))
    in_force = sa.table('update_in_force', sa.column('assignment_id', sa.Integer), sa.column('period', sa.String),
                        sa.column('progress_update_id', sa.Integer))
    connection = op.get_bind()
    newest: dict[tuple[int, str], int] = {}
    for update_id, assignment_id, period in connection.execute(
            sa.select(updates.c.id, updates.c.assignment_id, updates.c.period)
            .order_by(updates.c.created_at, updates.c.id)):
        newest[(assignment_id, period)] = update_id
    rows = [{'assignment_id': a, 'period': p, 'progress_update_id': u} for (a, p), u in newest.items()]
    if rows:
        op.bulk_insert(in_force, rows)


def downgrade() -> None:
    with op.batch_alter_table('menustate', schema=None) as batch_op:
        batch_op.drop_column('answerable')
    op.drop_table('update_in_force')
