"""A delivery's `note` holds only words for people; the machine key lives in `reason`.

Rows written before `reason` existed kept their old key in `note` ("night", "viber_quota") or
a key glued to the service's words ("unreachable: timeout"). Here every such key moves to
`reason` (where 0006 did not already put it) and `note` keeps only the words, or nothing.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# A note that was nothing but a key, and the reason it meant.
_KEYS = {
    "night": "quiet_hours",
    "out_of_stock": "out_of_stock",
    "no_channel": "no_channel",
    "viber_quota": "viber_hourly_limit",
    "rate_limited": "rate_limited",
}
# A key before the service's words.
_PREFIXES = {
    "unreachable: ": "unreachable",
    "rejected: ": "rejected",
    "viber failed: ": "delivery_failed",
    "sms: ": "delivery_failed",
}

deliveries = sa.table(
    "deliveries",
    sa.column("state", sa.String),
    sa.column("reason", sa.String),
    sa.column("note", sa.Text),
)
note, reason = deliveries.c.note, deliveries.c.reason


def upgrade() -> None:
    for key, meant in _KEYS.items():
        op.execute(
            deliveries.update()
            .where(note == key)
            .values(reason=sa.func.coalesce(reason, meant), note=None)
        )
    for prefix, meant in _PREFIXES.items():
        op.execute(
            deliveries.update()
            .where(note.like(prefix.replace("_", "\\_") + "%", escape="\\"))
            .values(
                reason=sa.func.coalesce(reason, meant),
                note=sa.func.nullif(sa.func.substr(note, len(prefix) + 1), ""),
            )
        )
    # Before reasons, the only failure without a key was a template that would not render;
    # its note is the renderer's message, which stays.
    op.execute(
        deliveries.update()
        .where(deliveries.c.state == "failed", reason.is_(None), note.is_not(None))
        .values(reason="bad_template")
    )


def downgrade() -> None:
    """Nothing to undo: the code of 0013 reads only `reason`, and a note is for people."""
