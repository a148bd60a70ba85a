"""Readings, conditions history, profiles, pseudonym keys and real-time transit messages.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "readings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("feed", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("sensor", sa.String(128), nullable=False),
        sa.Column("time", sa.Float, nullable=False),
        sa.Column("edge", sa.String(128)),
        sa.Column("interval_s", sa.Float, nullable=False),
        sa.Column("flow_veh_h", sa.Float),
        sa.Column("occupancy_pct", sa.Float),
        sa.Column("speed_ms", sa.Float),
        sa.Column("lon", sa.Float),
        sa.Column("lat", sa.Float),
        sa.Column("received_at", sa.Float, nullable=False),
        sa.UniqueConstraint("time", "feed", "kind", "sensor", name="uq_readings_key"),
    )
    op.create_table(
        "condition_history",
        sa.Column("link", sa.String(128), primary_key=True),
        sa.Column("time", sa.Float, primary_key=True),
        sa.Column("speed_ms", sa.Float),
        sa.Column("travel_time_s", sa.Float),
        sa.Column("congestion", sa.Float),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
    )
    op.create_table(
        "profiles",
        sa.Column("link", sa.String(128), primary_key=True),
        sa.Column("day_type", sa.Integer, primary_key=True),
        sa.Column("bin", sa.Integer, primary_key=True),
        sa.Column("speed_sum", sa.Float, nullable=False),
        sa.Column("count", sa.Float, nullable=False),
    )
    op.create_table(
        "pseudonym_keys",
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("key", sa.LargeBinary(64), nullable=False),
    )
    op.create_table(
        "transit_realtime",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("entity_id", sa.String(128), primary_key=True),
        sa.Column("timestamp", sa.Float, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("transit_realtime")
    op.drop_table("pseudonym_keys")
    op.drop_table("profiles")
    op.drop_table("condition_history")
    op.drop_table("readings")
