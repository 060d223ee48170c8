"""The sending rules of issue 9 that need no history: consent, quiet hours, the SMS opt-out text.

Each module is pure (data in, verdicts and plain sentences out). The ledger's rules (already received,
do not contact, frequency cap) live in `lib.ledger`; campaign, the command line and the sender call both.
Nothing is imported here: `lib.settings` imports `lib.rules.quiet_hours`, which must stay cheap.
"""
