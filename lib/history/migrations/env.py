"""Alembic's entry point for the history store; run only through `lib.history.migrate`.

`lib.history.migrate` hands over one connection, already inside the transaction that holds the
migration lock, in `config.attributes["connection"]`: every revision runs in that transaction.
"""

from alembic import context

from lib.history.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite changes a table by rebuilding it
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
