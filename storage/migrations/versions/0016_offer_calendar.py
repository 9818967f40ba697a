"""The offer calendar: purchase lines, the admin's rules, the offers (and gift calls) planned.

Revision ID: 0016
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def _customer(table: str) -> sa.Column:
    return sa.Column(
        "customer_id",
        BigId,
        sa.ForeignKey("customers.id", ondelete="CASCADE", name=f"fk_{table}_customer_id_customers"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "purchase_lines",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("shop_id", sa.String(64), nullable=False),
        _customer("purchase_lines"),
        sa.Column("order_ref", sa.String(100), nullable=False),
        sa.Column("sku", sa.String(100), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("category", sa.String(100), nullable=True),
        sa.Column("price", sa.Numeric(12, 2), nullable=False),
        sa.Column("bought_at", When, nullable=False),
        sa.Column("gift", sa.Boolean(), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_purchase_lines"),
    )
    op.create_index("ix_purchase_lines_shop_customer", "purchase_lines", ["shop_id", "customer_id"])
    op.create_table(
        "calendar_rules",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("price_min", sa.Numeric(12, 2), nullable=True),
        sa.Column("price_max", sa.Numeric(12, 2), nullable=True),
        sa.Column("offer_category", sa.String(100), nullable=True),
        sa.Column("delay_days", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("holdout_percent", sa.Integer(), nullable=False),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("sms_template", sa.Text(), nullable=True),
        sa.Column("updated_at", When, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_calendar_rules"),
    )
    op.create_index("ix_calendar_rules_shop_id", "calendar_rules", ["shop_id"])
    op.create_table(
        "calendar_plans",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "rule_id",
            BigId,
            sa.ForeignKey(
                "calendar_rules.id",
                ondelete="CASCADE",
                name="fk_calendar_plans_rule_id_calendar_rules",
            ),
            nullable=False,
        ),
        _customer("calendar_plans"),
        sa.Column("line_id", BigId, nullable=False),
        sa.Column("sku", sa.String(100), nullable=True),
        sa.Column("group", sa.String(10), nullable=False),
        sa.Column("delivery_id", BigId, nullable=True),
        sa.Column("task_id", BigId, nullable=True),
        sa.Column("due_at", When, nullable=False),
        sa.Column("planned_at", When, nullable=False),
        sa.Column("ordered_at", When, nullable=True),
        sa.Column("revenue", sa.Numeric(12, 2), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_calendar_plans"),
        sa.UniqueConstraint("rule_id", "line_id", name="uq_calendar_plans_rule_id_line_id"),
    )
    op.create_index("ix_calendar_plans_customer_id", "calendar_plans", ["customer_id"])


def downgrade() -> None:
    op.drop_table("calendar_plans")
    op.drop_table("calendar_rules")
    op.drop_table("purchase_lines")
