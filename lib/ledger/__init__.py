"""The recipient ledger (issue 9): never twice per person, never to those who said no.

    keys.py     keyed hashes of destinations and customer ids; the installation secret
    ledger.py   Ledger: records every send, runs the rules against a list (one query per rule)
    rules.py    the rules as codes (Rule) with parameters, vectorised
    wording.py  every sentence about people left out
    gate.py     LedgerGate: the rules again right before each chunk's POST
    optout.py   the do-not-contact list
"""

from lib.ledger.ledger import Ledger, LedgerCheck, is_marketing_kind, template_kind
from lib.ledger.rules import Rule

__all__ = ["Ledger", "LedgerCheck", "Rule", "is_marketing_kind", "template_kind"]
