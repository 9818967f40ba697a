"""Shop events (orders, statuses, purchases, carts, views) and consent by purpose.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Plain ADD COLUMN and CREATE INDEX: a batch copy on SQLite would drop `customers`, and the
    # drop cascades to their deliveries.
    op.add_column("customers", sa.Column("external_id", sa.String(200), nullable=True))
    op.add_column(
        "customers", sa.Column("service_opted_out_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index(
        "ix_customers_shop_external", "customers", ["shop_id", "external_id"], unique=True
    )
    op.create_table(
        "shop_events",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(100), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column(
            "customer_id",
            BigId,
            sa.ForeignKey(
                "customers.id", ondelete="CASCADE", name="fk_shop_events_customer_id_customers"
            ),
            nullable=True,
        ),
        sa.Column("customer_ref", sa.String(200), nullable=True),
        sa.Column("subject", sa.String(200), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_shop_events"),
        sa.UniqueConstraint("shop_id", "event_id", name="uq_shop_events_shop_id_event_id"),
    )
    op.create_index("ix_shop_events_customer_type", "shop_events", ["customer_id", "type", "at"])


def downgrade() -> None:
    op.drop_index("ix_shop_events_customer_type", "shop_events")
    op.drop_table("shop_events")
    op.drop_index("ix_customers_shop_external", "customers")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("service_opted_out_at")
        batch.drop_column("external_id")
