"""Delivery reasons as a column, a stop in any channel, Viber subscription.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# What the free-text note used to say, as the machine key it meant.
_NOTES = {
    "night": "quiet_hours",
    "out_of_stock": "out_of_stock",
    "no_channel": "no_channel",
    "viber_quota": "viber_hourly_limit",
    "rate_limited": "rate_limited",
}
_PREFIXES = {
    "unreachable: %": "unreachable",
    "rejected: %": "rejected",
    "viber failed: %": "delivery_failed",
    "sms: %": "delivery_failed",
}


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("reason", sa.String(length=32), nullable=True))
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("viber_subscribed", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=True))
    deliveries = sa.table("deliveries", sa.column("note", sa.Text), sa.column("reason"))
    for note, reason in _NOTES.items():
        op.execute(deliveries.update().where(deliveries.c.note == note).values(reason=reason))
    for pattern, reason in _PREFIXES.items():
        op.execute(deliveries.update().where(deliveries.c.note.like(pattern)).values(reason=reason))
    # A switch after a block kept the service's words only.
    op.execute(
        deliveries.update()
        .where(sa.column("state") == "switched", deliveries.c.reason.is_(None))
        .values(reason="blocked")
    )


def downgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("opted_out_at")
        batch.drop_column("viber_subscribed")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("reason")
