"""Realistic synthetic recipient lists for the recipients bench (and for trying the console by hand).

    .venv/bin/python bench/recipients_generate.py --rows 100000 --out /tmp/list.csv [--xlsx] [--excel-damaged]

What a marketer's export looks like: Greek mobiles in mixed formats (6936862208, 693 686 2208,
+30 693 686 2208, 0030..., 30-693-...), ~5% invalid (landlines, too short, too long, foreign, text),
~20% of rows repeating a number already in the list, ASCII plus ~2% unicode and IDN emails, ~1% repeated
customer ids, Greek and Latin names, voucher codes and amounts. --excel-damaged writes some mobiles as
Excel leaves them (6936862208.0, 6.936862208E+09 and the lossy 6.93686E+09).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

import numpy as np

FIRST = ["Maria", "Giorgos", "Nikos", "Eleni", "Dimitris", "Μαρία", "Γιώργος", "Νίκος", "Ελένη", "Κώστας", "ΣΟΦΙΑ", "Zoë"]
LAST = ["Papadopoulos", "Nikolaou", "Georgiou", "Παπαδοπούλου", "Οικονόμου", "Δημητρίου", "O'Brien"]
DOMAINS = ["gmail.com", "yahoo.gr", "hotmail.com", "otenet.gr", "example.gr", "Outlook.COM", "mail.co.uk"]
INVALID_EMAILS = ["maria{i}@", "nikos{i}.gmail.com", "a{i}@b", "john{i}@@example.com", "eleni{i}@example..gr", "info{i}@example.test"]
UNICODE_EMAILS = ["μαρία{i}@παράδειγμα.ελ", "josé{i}@correo.es", "user{i}@bücher.de", "ελένη{i}@example.gr", "Info@Example.COM"]


def invalid_mobile(rng: np.random.Generator, i: int) -> str:
    """Mostly distinct, like real mistakes: landlines, a digit too few or many, foreign numbers, words."""
    n = int(rng.integers(0, 10**8))
    kind = i % 10
    if kind < 4:
        return f"2{n % 10**9:09d}"  # landline
    if kind < 6:
        return f"69{n:08d}"[: 9 if kind == 4 else 10] + ("" if kind == 4 else str(n % 10))  # typo: short / long
    if kind == 6:
        return f"1{n:09d}"  # not a Greek number
    if kind == 7:
        return f"+357 9{n % 10**7:07d}"  # Cyprus: valid, not allowed
    if kind == 8:
        return f"+44 7{n:09d}"[:15]
    return ("n/a", "-", "no phone", "6936-86")[n % 4]


def mobile_shapes(rng: np.random.Generator, national: np.ndarray) -> list[str]:
    """The shapes people type the same number in."""
    shape = rng.integers(0, 7, size=len(national))
    out = []
    for n, s in zip(national, shape, strict=True):
        n = str(n)
        out.append(
            (
                n,
                n,
                f"{n[:3]} {n[3:6]} {n[6:]}",
                f"+30{n}",
                f"+30 {n[:3]} {n[3:6]} {n[6:]}",
                f"0030{n}",
                f"30-{n[:3]}-{n[3:6]}-{n[6:]}",
            )[s]
        )
    return out


def generate_rows(rows: int, seed: int = 7, excel_damaged: bool = False) -> tuple[list[str], list[list[str]]]:
    rng = np.random.default_rng(seed)
    distinct = max(1, int(rows * 0.8))
    numbers = 6900000000 + rng.choice(99_999_999, size=distinct, replace=False)
    pick = np.concatenate([np.arange(distinct), rng.integers(0, distinct, size=rows - distinct)])
    rng.shuffle(pick)
    mobiles = mobile_shapes(rng, numbers[pick])
    invalid = rng.random(rows) < 0.05
    for i in np.flatnonzero(invalid):
        mobiles[i] = invalid_mobile(rng, int(i))
    if excel_damaged:
        damaged = rng.random(rows) < 0.10
        for i in np.flatnonzero(damaged):
            n = str(numbers[pick[i]])
            mobiles[i] = (f"{n}.0", f"{n[0]}.{n[1:]}E+09", f"{n[0]}.{n[1:6]}E+09")[i % 3]

    ids = [f"C{100000 + i}" for i in range(rows)]
    repeated = np.flatnonzero(rng.random(rows) < 0.01)
    for i in repeated:
        ids[i] = ids[max(0, i - 1 - int(rng.integers(0, 50)))]
    first = rng.integers(0, len(FIRST), size=rows)
    last = rng.integers(0, len(LAST), size=rows)
    domain = rng.integers(0, len(DOMAINS), size=rows)
    roll = rng.random(rows)
    emails = []
    for i in range(rows):
        if roll[i] < 0.02:
            emails.append(UNICODE_EMAILS[i % len(UNICODE_EMAILS)].format(i=i))
        elif roll[i] < 0.04:
            emails.append(INVALID_EMAILS[i % len(INVALID_EMAILS)].format(i=i))
        elif roll[i] < 0.06:
            emails.append("")
        else:
            emails.append(f"{_ascii(FIRST[first[i]])}.{_ascii(LAST[last[i]])}{i}@{DOMAINS[domain[i]]}")
    headers = ["customer id", "mobile", "email", "Firstname", "Lastname", "voucherCode", "voucherAmount", "card"]
    amounts = ["5 €", "10 €", "20 €", "50 €"]
    table = [
        [
            ids[i],
            mobiles[i],
            emails[i],
            FIRST[first[i]],
            LAST[last[i]],
            f"SPRING{i:07d}",
            amounts[i % 4],
            f"{4000000000000 + i}",
        ]
        for i in range(rows)
    ]
    return headers, table


def _ascii(name: str) -> str:
    kept = "".join(c for c in name.lower() if c.isascii() and c.isalnum())
    return kept or "user"


def to_csv(headers: list[str], table: list[list[str]], delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(table)
    return buffer.getvalue().encode(encoding)


def to_xlsx(headers: list[str], table: list[list[str]], numbers_as_numbers: bool = False) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "constant_memory": True})
    sheet = workbook.add_worksheet("Recipients")
    sheet.write_row(0, 0, headers)
    for r, row in enumerate(table, start=1):
        for c, value in enumerate(row):
            if numbers_as_numbers and value.isdigit():
                sheet.write_number(r, c, int(value))
            else:
                sheet.write_string(r, c, value)
    workbook.close()
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--xlsx", action="store_true")
    parser.add_argument("--excel-damaged", action="store_true")
    args = parser.parse_args(argv)
    headers, table = generate_rows(args.rows, args.seed, args.excel_damaged)
    args.out.write_bytes(to_xlsx(headers, table) if args.xlsx else to_csv(headers, table))
    print(f"wrote {args.rows:,} rows to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
