"""Indexes for what the Dispatches page asks again and again, so that no ask reads every row (20,000
chunks and dispatches on 10,000 sends; a dispatch row holds the platform's whole answer):
- the live panel, every 2 s for each open page: parts in doubt (chunks.status) and dispatches changed
  in the last minutes (dispatches.last_changed_at);
- the page's data version, every second while the page is in use (lib.history.loading.history_version):
  the newest part update (chunks.updated_at), the newest dispatch change (dispatches.last_changed_at),
  and the dispatches' count, newest arrival and sum of statuses (dispatches.first_seen_at, send_status_id).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_chunks_status", "chunks", ["status"]),
    ("ix_chunks_updated_at", "chunks", ["updated_at"]),
    ("ix_dispatches_last_changed_at", "dispatches", ["last_changed_at"]),
    ("ix_dispatches_first_seen_status", "dispatches", ["first_seen_at", "send_status_id"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
