"""Journeys: definitions, runs (once per trigger key), durable timers; offers get a purpose.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "journeys",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("key", sa.String(50), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("holdout_percent", sa.Integer(), nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_journeys"),
        sa.UniqueConstraint("shop_id", "key", name="uq_journeys_shop_id_key"),
    )
    op.create_table(
        "journey_runs",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "journey_id",
            BigId,
            sa.ForeignKey(
                "journeys.id", ondelete="CASCADE", name="fk_journey_runs_journey_id_journeys"
            ),
            nullable=False,
        ),
        sa.Column(
            "customer_id",
            BigId,
            sa.ForeignKey(
                "customers.id", ondelete="CASCADE", name="fk_journey_runs_customer_id_customers"
            ),
            nullable=False,
        ),
        sa.Column("trigger_key", sa.String(200), nullable=False),
        sa.Column("group", sa.String(10), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("exit_reason", sa.String(30), nullable=True),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("entered_at", When, nullable=False),
        sa.Column("finished_at", When, nullable=True),
        sa.Column("ordered_at", When, nullable=True),
        sa.Column("revenue", sa.Numeric(12, 2), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_journey_runs"),
        sa.UniqueConstraint(
            "journey_id",
            "customer_id",
            "trigger_key",
            name="uq_journey_runs_journey_id_customer_id_trigger_key",
        ),
    )
    op.create_index("ix_journey_runs_customer_id", "journey_runs", ["customer_id"])
    op.create_index("ix_journey_runs_journey_state", "journey_runs", ["journey_id", "state"])
    op.create_table(
        "journey_timers",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "run_id",
            BigId,
            sa.ForeignKey(
                "journey_runs.id", ondelete="CASCADE", name="fk_journey_timers_run_id_journey_runs"
            ),
            nullable=False,
        ),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("due_at", When, nullable=False),
        sa.Column("lease_until", When, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_journey_timers"),
        sa.UniqueConstraint("run_id", name="uq_journey_timers_run_id"),
    )
    op.create_index("ix_journey_timers_due_at", "journey_timers", ["due_at"])
    # Plain ADD COLUMN (no foreign keys), never a batch copy: SQLite would drop and recreate
    # `offers`, and the drop cascades to every delivery.
    op.add_column(
        "offers", sa.Column("purpose", sa.String(20), nullable=False, server_default="marketing")
    )
    op.add_column("offers", sa.Column("journey_id", BigId, nullable=True))
    op.add_column("offers", sa.Column("step", sa.Integer(), nullable=True))
    op.create_index("ix_offers_journey_id", "offers", ["journey_id"])
    op.add_column("deliveries", sa.Column("run_id", BigId, nullable=True))
    op.create_index("ix_deliveries_run_id", "deliveries", ["run_id"])
    op.add_column("products", sa.Column("category", sa.String(100), nullable=True))
    op.add_column("products", sa.Column("old_price", sa.Numeric(12, 2), nullable=True))


def downgrade() -> None:
    op.drop_index("ix_deliveries_run_id", "deliveries")
    op.drop_index("ix_offers_journey_id", "offers")
    with op.batch_alter_table("products") as batch:
        batch.drop_column("old_price")
        batch.drop_column("category")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("run_id")
    with op.batch_alter_table("offers") as batch:
        batch.drop_column("step")
        batch.drop_column("journey_id")
        batch.drop_column("purpose")
    op.drop_table("journey_timers")
    op.drop_table("journey_runs")
    op.drop_table("journeys")
