"""A delivery that a switch or a reminder adds names the chain's first delivery (`first_id`).

The calendar's report followed only a plan's first delivery: an offer that went by SMS after a
blocked bot counted as never sent, its cost and its clicks left out. Earlier calendar chains
are linked here the way `calendar_plan.bought` found them: the latest plan's delivery of the
same offer, customer and good with a lower attempt.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("first_id", BigId, nullable=True))
    op.create_index("ix_deliveries_first_id", "deliveries", ["first_id"])
    d = sa.table(
        "deliveries",
        sa.column("id", BigId),
        sa.column("offer_id", BigId),
        sa.column("customer_id", BigId),
        sa.column("attempt", sa.Integer),
        sa.column("sku", sa.String),
        sa.column("first_id", BigId),
    )
    plans = sa.table("calendar_plans", sa.column("delivery_id", BigId))
    first = d.alias("first")
    planned = sa.select(plans.c.delivery_id).where(plans.c.delivery_id.is_not(None))
    chain_start = (
        sa.select(first.c.id)
        .where(
            first.c.id.in_(planned),
            first.c.offer_id == d.c.offer_id,
            first.c.customer_id == d.c.customer_id,
            first.c.attempt < d.c.attempt,
            first.c.sku.is_not_distinct_from(d.c.sku),
        )
        .order_by(first.c.attempt.desc())
        .limit(1)
        .scalar_subquery()
    )
    op.execute(
        d.update().where(d.c.attempt > 1, d.c.id.not_in(planned)).values(first_id=chain_start)
    )


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_index("ix_deliveries_first_id")
        batch.drop_column("first_id")
