"""Prices, self-paid shares and price limits with their four decimal places on PostgreSQL

The first migration created these columns as NUMERIC(18, 2) on PostgreSQL although
they hold four places (the migration tool did not write the places of the suite's
decimal type): a price of 12.3456 was kept as 12.35. SQLite stores them as integers
scaled by the model's places and was never affected.

Revision ID: 0003
Revises: 0002
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = {"ncms_items": ("self_pay_ratio", "price_limit"), "hospital_items": ("price",),
           "hospital_item_events": ("price",)}


def _alter(scale: int) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in COLUMNS.items():
        for column in columns:
            op.alter_column(table, column, type_=sa.Numeric(18, scale), existing_nullable=True)


def upgrade() -> None:
    _alter(4)


def downgrade() -> None:
    _alter(2)
