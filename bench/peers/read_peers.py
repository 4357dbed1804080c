#!/usr/bin/env python3
"""Reads template workbooks with Python's usual Excel readers, for comparison with
`labor-survey bench`.

Each reader opens every workbook of a folder, reads its answer sheet (question ids in
one column, answers in another) and applies the type and range checks of the
definition's questions: numbers are numbers within min and max, yes/no answers are
yes or no, choices are codes of their list, credit codes have a valid check character,
required questions are answered. Skip logic, constraints, tables and the rest of what
the ingest checks are not applied, so a peer does less than `labor-survey ingest`.

The checks come from the JSON file `labor-survey bench --keep DIR` writes beside the
returns (DIR/sample/answer-sheet-checks.json).

    python3 read_peers.py CHECKS.json XLSX_DIR                 # all readers, a table
    python3 read_peers.py CHECKS.json XLSX_DIR --reader openpyxl --json

Readers: openpyxl (pandas + openpyxl), pandas-calamine (pandas, engine="calamine"),
python-calamine (python-calamine directly). Single-threaded, like `ingest --jobs 1`.
"""

import argparse
import datetime
import importlib.metadata
import json
import os
import re
import sys
import time
import unicodedata

READERS = ("openpyxl", "pandas-calamine", "python-calamine")

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CHINESE_DATE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")
BRACKETED_CODE = re.compile(r"\[([^\[\]]+)\]\s*$")


def blank(value):
    if value is None:
        return True
    if isinstance(value, float) and value != value:  # NaN: pandas' empty cell
        return True
    return isinstance(value, str) and not value.strip()


def number(value):
    """The number in a cell: a number, or text as people type it (full-width digits,
    thousands separators, a unit after the number)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKC", value).strip().replace(",", "")
    text = re.sub(r"[^\d.\-]+$", "", text)
    try:
        return float(text)
    except ValueError:
        return None


def code_of(value):
    text = str(value).strip()
    found = BRACKETED_CODE.search(text)
    return found.group(1).strip() if found else text


def valid_uscc(value):
    code = str(value).strip().upper()
    if len(code) != 18 or any(c not in USCC_ALPHABET for c in code):
        return False
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(code, USCC_WEIGHTS))
    return code[17] == USCC_ALPHABET[(31 - total % 31) % 31]


def is_date(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return True
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return 1 <= value < 2958466  # an Excel serial day
    if isinstance(value, str):
        text = value.strip()
        return bool(ISO_DATE.match(text) or CHINESE_DATE.match(text))
    return False


def problem(question, value, checks):
    """Why `value` does not fit `question`, or None."""
    kind = question["type"]
    if blank(value):
        return "required" if question.get("required") else None
    if kind in ("integer", "decimal"):
        n = number(value)
        if n is None:
            return "not a number"
        if kind == "integer" and n != int(n):
            return "not a whole number"
        if "min" in question and n < question["min"]:
            return "below min"
        if "max" in question and n > question["max"]:
            return "above max"
        return None
    if kind == "boolean":
        if isinstance(value, bool):
            return None
        word = str(value).strip().lower()
        return None if word in checks["yes"] or word in checks["no"] else "not yes or no"
    if kind in ("single_choice", "subdistrict"):
        return None if code_of(value) in question.get("choices", []) else "not a code of the list"
    if kind == "industry_code":
        code = code_of(value)
        return None if re.fullmatch(r"\d{2}|[A-T]", code) else "not an industry code"
    if kind == "enterprise_id":
        return None if valid_uscc(value) else "not a valid credit code"
    if kind == "date":
        return None if is_date(value) else "not a date"
    if kind == "text":
        limit = question.get("max_length")
        return "too long" if limit is not None and len(str(value)) > limit else None
    return None


def check_rows(rows, checks, questions):
    """Problems of an answer sheet given as rows of cells; rows are found by question id."""
    id_col, answer_col = checks["id_column"], checks["answer_column"]
    seen = {}
    for row in rows:
        if len(row) <= id_col or blank(row[id_col]):
            continue
        qid = str(row[id_col]).strip()
        question = questions.get(qid)
        if question is None:
            continue
        seen[qid] = row[answer_col] if len(row) > answer_col else None
    problems = []
    for qid, question in questions.items():
        if question["type"] == "multiple_choice":
            continue  # its row is a prompt; the options have rows of their own
        p = problem(question, seen.get(qid), checks)
        if p is not None:
            problems.append((qid, p))
    return problems


def answer_sheet(names, checks):
    for name in checks["answer_sheets"]:
        if name in names:
            return name
    raise ValueError("no answer sheet")


def read_openpyxl(path, checks):
    import pandas as pd

    with pd.ExcelFile(path, engine="openpyxl") as book:
        sheet = answer_sheet(book.sheet_names, checks)
        frame = pd.read_excel(book, sheet_name=sheet, header=None, dtype=object)
    return frame.itertuples(index=False, name=None)


def read_pandas_calamine(path, checks):
    import pandas as pd

    with pd.ExcelFile(path, engine="calamine") as book:
        sheet = answer_sheet(book.sheet_names, checks)
        frame = pd.read_excel(book, sheet_name=sheet, header=None, dtype=object)
    return frame.itertuples(index=False, name=None)


def read_python_calamine(path, checks):
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(path)
    return book.get_sheet_by_name(answer_sheet(book.sheet_names, checks)).to_python()


READ = {
    "openpyxl": read_openpyxl,
    "pandas-calamine": read_pandas_calamine,
    "python-calamine": read_python_calamine,
}

PACKAGES = {
    "openpyxl": ("pandas", "openpyxl"),
    "pandas-calamine": ("pandas", "python-calamine"),
    "python-calamine": ("python-calamine",),
}


def run(reader, checks, files):
    questions = {q["id"]: q for q in checks["questions"]}
    read = READ[reader]
    valid = invalid = 0
    size = sum(os.path.getsize(f) for f in files)
    start = time.perf_counter()
    for path in files:
        try:
            rows = read(path, checks)
        except Exception:  # a damaged or foreign file: rejected, as the ingest would
            invalid += 1
            continue
        if check_rows(rows, checks, questions):
            invalid += 1
        else:
            valid += 1
    seconds = time.perf_counter() - start
    versions = {p: importlib.metadata.version(p) for p in PACKAGES[reader]}
    return {
        "reader": reader,
        "files": len(files),
        "bytes": size,
        "seconds": seconds,
        "valid": valid,
        "invalid": invalid,
        "versions": versions,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checks", help="answer-sheet-checks.json written by labor-survey bench --keep")
    parser.add_argument("folder", help="folder of template workbooks")
    parser.add_argument("--reader", choices=READERS, action="append", help="reader to run (default: all)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per reader")
    args = parser.parse_args()
    with open(args.checks, encoding="utf-8") as f:
        checks = json.load(f)
    files = sorted(
        os.path.join(args.folder, name) for name in os.listdir(args.folder) if name.endswith(".xlsx")
    )
    if not files:
        sys.exit(f"no .xlsx files in {args.folder}")
    for reader in args.reader or READERS:
        result = run(reader, checks, files)
        if args.json:
            print(json.dumps(result))
        else:
            rate = result["files"] / result["seconds"]
            print(
                f"{reader:<16} {result['files']:>6} files  {result['seconds']:8.2f} s  {rate:8.1f} files/s"
                f"  valid {result['valid']}, invalid {result['invalid']}"
            )


if __name__ == "__main__":
    main()
