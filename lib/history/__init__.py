"""The history store: every send, chunk and dispatch the console knows about (SQLAlchemy 2 Core).

`schema.py` is the agreed table layout, `store.py` opens a database and holds the simple reads
and writes; heavier page queries live in `queries.py`, the status refresher in `refresh.py`.
"""
