"""A unit's history: the names it bore before, the day it was formed, the day it merged into a successor"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('former_names', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('began_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('ended_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('successor_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_unit_successor_id_unit', 'unit', ['successor_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_constraint('fk_unit_successor_id_unit', type_='foreignkey')
        batch_op.drop_column('successor_id')
        batch_op.drop_column('ended_on')
        batch_op.drop_column('began_on')
        batch_op.drop_column('former_names')
