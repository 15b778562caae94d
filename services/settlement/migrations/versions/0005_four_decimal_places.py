"""Bill lines' prices, quantities, self-paid shares and price limits with their four
decimal places on PostgreSQL

The first migration created these columns as NUMERIC(18, 2) on PostgreSQL although
they hold four places (the migration tool did not write the places of the suite's
decimal type). SQLite stores them as integers scaled by the model's places and was
never affected.

Revision ID: 0005
Revises: 0004
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = {"price": False, "quantity": False, "self_pay_ratio": False, "price_limit": True}


def _alter(scale: int) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column, nullable in COLUMNS.items():
        op.alter_column("settlement_lines", column, type_=sa.Numeric(18, scale), existing_nullable=nullable)


def upgrade() -> None:
    _alter(4)


def downgrade() -> None:
    _alter(2)
