"""Member categories and reconciliation differences in the settlement's own words

The category a settlement was made with was stored as the legacy code (rylb 1-4),
and reconciliation differences as the legacy codes of jslx and ywlx; they become
names (ordinary, five_guarantees, ...; outpatient/inpatient; settlement/refund), so
that no legacy code lives past the gateway.

Revision ID: 0003
Revises: 0002
"""
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CATEGORIES = {"1": "ordinary", "2": "five_guarantees", "3": "subsistence", "4": "entitled"}
KINDS = {"1": "outpatient", "2": "inpatient"}
BUSINESSES = {"1": "settlement", "2": "refund"}


def _differences(convert) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, differences FROM reconciliations")).all()
    for row_id, text in rows:
        differences = [convert(d) for d in json.loads(text or "[]")]
        connection.execute(sa.text("UPDATE reconciliations SET differences = :d WHERE id = :id"),
                           {"d": json.dumps(differences, ensure_ascii=False), "id": row_id})


def upgrade() -> None:
    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.alter_column('category', existing_type=sa.String(length=1), type_=sa.String(length=16),
                              existing_nullable=False)
    for code, name in CATEGORIES.items():
        op.execute(sa.text("UPDATE settlements SET category = :name WHERE category = :code")
                   .bindparams(name=name, code=code))
    _differences(lambda d: {**d, "kind": KINDS.get(d["kind"], d["kind"]),
                            "business": BUSINESSES.get(d["business"], d["business"])})


def downgrade() -> None:
    back = {name: code for code, name in CATEGORIES.items()}
    for name, code in back.items():
        op.execute(sa.text("UPDATE settlements SET category = :code WHERE category = :name")
                   .bindparams(name=name, code=code))
    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.alter_column('category', existing_type=sa.String(length=16), type_=sa.String(length=1),
                              existing_nullable=False)
    kinds = {v: k for k, v in KINDS.items()}
    businesses = {v: k for k, v in BUSINESSES.items()}
    _differences(lambda d: {**d, "kind": kinds.get(d["kind"], d["kind"]),
                            "business": businesses.get(d["business"], d["business"])})
