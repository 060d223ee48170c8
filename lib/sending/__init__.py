"""Sending a campaign: the frozen manifest, the chunk status machine and the send engine.

Import the parts you need (`lib.sending.status`, `lib.sending.manifest`, `lib.sending.engine`);
this package file stays empty so that importing the status enum pulls in nothing heavy.
"""
