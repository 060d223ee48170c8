"""Money as a marketer reads it: one format for every amount the console shows (CONSOLE_CURRENCY)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# The symbol written before the amount; other currencies are written after it by their code ("5.00 CHF").
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


def format_money(amount: Decimal | float | int, currency: str = "EUR") -> str:
    """'€5.00', '€1,234.50', '-€0.05'; an unknown code follows the amount: '5.00 CHF'."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign, digits = ("-" if value < 0 else ""), f"{abs(value):,.2f}"
    symbol = SYMBOLS.get(currency.upper())
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits} {currency.upper()}"
