"""operators.deactivated_at: an operator who may no longer log in, history kept

Revision ID: 0011
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not in batch mode: on SQLite that copies and drops `operators`, which would cascade to
    # every row naming an operator (see 0007). A nullable column is added in place.
    op.add_column("operators", sa.Column("deactivated_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.execute("ALTER TABLE operators DROP COLUMN deactivated_at")
