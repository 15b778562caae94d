"""Fee lines' prices and quantities with their four decimal places on PostgreSQL

The first migration created them as NUMERIC(18, 2) on PostgreSQL although they hold
four places. SQLite stores them as integers scaled by the model's places and was
never affected.

Revision ID: 0002
Revises: 0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _alter(scale: int) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in ("price", "quantity"):
        op.alter_column("his_inpatient_fees", column, type_=sa.Numeric(18, scale), existing_nullable=False)


def upgrade() -> None:
    _alter(4)


def downgrade() -> None:
    _alter(2)
