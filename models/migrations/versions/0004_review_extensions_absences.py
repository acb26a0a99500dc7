"""Review of submissions (accepted / returned with a note), deadline extensions, absences, outbox buttons"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table('absence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('until', sa.Date(), nullable=False),
    sa.Column('delegate_member_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['delegate_member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('member_id')
    )
    op.create_table('extension',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('period', TEXT(length=16), nullable=False),
    sa.Column('until', sa.Date(), nullable=False),
    sa.Column('reason', TEXT(), nullable=False),
    sa.Column('state', TEXT(length=16), nullable=False),
    sa.Column('asked_by_member_id', sa.Integer(), nullable=False),
    sa.Column('asked_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_member_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('note', TEXT(), nullable=False),
    sa.ForeignKeyConstraint(['asked_by_member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignment.id'], ),
    sa.ForeignKeyConstraint(['decided_by_member_id'], ['member.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('extension', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_extension_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_extension_state'), ['state'], unique=False)

    # What was sent before review existed awaits review, like anything sent from now on.
    for table in ('annualreport', 'progressupdate'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('review_state', TEXT(length=16), nullable=False, server_default='pending'))
            batch_op.add_column(sa.Column('reviewed_by_member_id', sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column('reviewed_at', sa.DateTime(), nullable=True))
            batch_op.add_column(sa.Column('review_note', TEXT(), nullable=False, server_default=''))
            batch_op.add_column(sa.Column('resubmits_id', sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f(f'ix_{table}_review_state'), ['review_state'], unique=False)
            batch_op.create_foreign_key(f'fk_{table}_resubmits_id', table, ['resubmits_id'], ['id'])
            batch_op.create_foreign_key(f'fk_{table}_reviewed_by', 'member', ['reviewed_by_member_id'], ['id'])
    with op.batch_alter_table('progressupdate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('annual_report_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_progressupdate_annual_report_id'), ['annual_report_id'], unique=False)
        batch_op.create_foreign_key('fk_progressupdate_annual_report_id', 'annualreport', ['annual_report_id'], ['id'])

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('buttons', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('buttons')
    with op.batch_alter_table('progressupdate', schema=None) as batch_op:
        batch_op.drop_constraint('fk_progressupdate_annual_report_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_progressupdate_annual_report_id'))
        batch_op.drop_column('annual_report_id')
    for table in ('progressupdate', 'annualreport'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'fk_{table}_reviewed_by', type_='foreignkey')
            batch_op.drop_constraint(f'fk_{table}_resubmits_id', type_='foreignkey')
            batch_op.drop_index(batch_op.f(f'ix_{table}_review_state'))
            for column in ('resubmits_id', 'review_note', 'reviewed_at', 'reviewed_by_member_id', 'review_state'):
                batch_op.drop_column(column)
    with op.batch_alter_table('extension', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_extension_state'))
        batch_op.drop_index(batch_op.f('ix_extension_assignment_id'))
    op.drop_table('extension')
    op.drop_table('absence')
