"""reports, extensions, links, closure

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import models.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reportlink',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('directive_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', models.types.TZDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', models.types.TZDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', models.types.TZDateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.ForeignKeyConstraint(['directive_id'], ['directive.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reportlink', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reportlink_directive_id'), ['directive_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reportlink_unit_id'), ['unit_id'], unique=False)

    with op.batch_alter_table('directive', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', models.types.TZDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('extension', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decision_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False,
                                      server_default='web'))

    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('period_end', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('submitted_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False,
                                      server_default=''))

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', models.types.TZDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_column('closed_at')

    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_column('submitted_by')
        batch_op.drop_column('period_end')

    with op.batch_alter_table('extension', schema=None) as batch_op:
        batch_op.drop_column('source')
        batch_op.drop_column('decision_reason')

    with op.batch_alter_table('directive', schema=None) as batch_op:
        batch_op.drop_column('closed_at')

    with op.batch_alter_table('reportlink', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reportlink_unit_id'))
        batch_op.drop_index(batch_op.f('ix_reportlink_directive_id'))

    op.drop_table('reportlink')
