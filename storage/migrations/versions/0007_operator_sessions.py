"""Server-side operator sessions: log-out ends one, a password change all of them.

Replaces operators.session_version, which could only end every session at once.

Revision ID: 0007
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operator_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column(
            "operator_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_operator_sessions_operator_id_operators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_sessions")),
    )
    with op.batch_alter_table("operator_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_operator_sessions_operator_id"), ["operator_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_operator_sessions_seen_at"), ["seen_at"], unique=False)
    with op.batch_alter_table("operator_presence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_id", sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_operator_presence_session_id"), ["session_id"], unique=False
        )
    # Cookies of the old kind name no session row: everybody logs in once more. Not in batch
    # mode: on SQLite that copies and drops `operators`, and with foreign keys on, dropping it
    # would cascade to every row that names an operator (SQLite 3.35+ drops a column itself).
    op.execute("ALTER TABLE operators DROP COLUMN session_version")


def downgrade() -> None:
    op.add_column(
        "operators",
        sa.Column("session_version", sa.Integer(), nullable=False, server_default="1"),
    )
    with op.batch_alter_table("operator_presence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operator_presence_session_id"))
        batch_op.drop_column("session_id")
    with op.batch_alter_table("operator_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operator_sessions_seen_at"))
        batch_op.drop_index(batch_op.f("ix_operator_sessions_operator_id"))
    op.drop_table("operator_sessions")
