"""Evidence files sent with progress updates and annual reports, kept in the database"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('evidence_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('mime_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('progress_update_id', sa.Integer(), nullable=True),
    sa.Column('annual_report_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['annual_report_id'], ['annualreport.id'], ),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['progress_update_id'], ['progressupdate.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('evidence_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_file_annual_report_id'), ['annual_report_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_file_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_file_progress_update_id'), ['progress_update_id'], unique=False)


def downgrade() -> None:
    op.drop_table('evidence_file')
