"""reminder engine: steps, outbox addresses, Zalo tokens, locks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import models.types


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('planned_until', models.types.TZDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recipient_name', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('target', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('target_display', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('run_day', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('respect_quiet_hours', sa.Boolean(), nullable=False, server_default=sa.true()))

    op.create_table('reminderstep',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('assignment_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('step_at', models.types.TZDateTime(timezone=True), nullable=False),
    sa.Column('planned_at', models.types.TZDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignment.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('assignment_id', 'kind', 'step_at', name='uq_step_once')
    )
    with op.batch_alter_table('reminderstep', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminderstep_assignment_id'), ['assignment_id'], unique=False)

    op.create_table('zalotoken',
    sa.Column('oa_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('app_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('access_token', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('refresh_token', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('expires_at', models.types.TZDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', models.types.TZDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('oa_id')
    )
    op.create_table('lock',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('holder', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('taken_at', models.types.TZDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name')
    )


def downgrade() -> None:
    op.drop_table('lock')
    op.drop_table('zalotoken')
    with op.batch_alter_table('reminderstep', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminderstep_assignment_id'))
    op.drop_table('reminderstep')
    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        batch_op.drop_column('respect_quiet_hours')
        batch_op.drop_column('run_day')
        batch_op.drop_column('target_display')
        batch_op.drop_column('target')
        batch_op.drop_column('recipient_name')
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_column('planned_until')
