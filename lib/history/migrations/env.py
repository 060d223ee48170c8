"""Alembic's entry point for the history store; run only through `lib.history.migrate`.

`lib.history.migrate` hands over one connection, already inside the transaction that holds the
migration lock, in `config.attributes["connection"]`: every revision runs in that transaction.
"""

from alembic import context

from lib.history.schema import UTCDateTime, metadata


def render_item(type_, obj, autogen_context):
    """A new revision spells UTCDateTime as the plain column type it is stored as."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite changes a table by rebuilding it
    compare_type=True,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
