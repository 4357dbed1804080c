#!/usr/bin/env python3
"""Regenerate the file-format fixtures in tests/formats/ from the sample JSON returns.

Every fixture is built from answers of JSON returns in sample-data/returns/json/ that
`labor-survey ingest` accepts, with the programs a respondent would use:

  template-filled-libreoffice.xlsx  blank template (labor-survey template), filled with
                                    openpyxl, re-saved by LibreOffice as .xlsx
  template-filled.ods               the same kind of filled template, converted to .ods
  template-filled.xls               ... converted to .xls (MS Excel 97)
  spreadsheet-utf8.csv              wide sheet made with openpyxl, saved by LibreOffice
                                    as CSV (UTF-8, comma)
  spreadsheet-utf8-bom.csv          the same bytes with a UTF-8 byte order mark in front
  spreadsheet-gb18030.csv           the same sheet saved by LibreOffice in GB18030
  kobo-export.csv                   KoboToolbox CSV export (XML values and headers,
                                    groups in headers, "/" separator, ";" delimiter)
  kobo-export.xlsx                  KoboToolbox XLSX export (main sheet + vacancies sheet)
  expected.json                     what each fixture holds, from the SOURCE JSON returns

Usage (from anywhere):

  python3 tests/formats/make_fixtures.py [--bin PATH] [--soffice soffice] [--no-check]

Needs: python3 with openpyxl, LibreOffice (soffice) on PATH, and a built labor-survey
binary (only `template` and `ingest` are used; nothing is compiled). The binary is
found from --bin, else $LABOR_SURVEY, else target/release/labor-survey in the repo,
else ~/.cache/labor-survey/target/release/labor-survey.

Only files in tests/formats/ are written; scratch files go to a temporary directory.
"""

import argparse
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import uuid
from pathlib import Path

import openpyxl
from openpyxl.utils.cell import range_boundaries

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFINITION = REPO / "survey-defs" / "spring-2024.toml"
JSON_DIR = REPO / "sample-data" / "returns" / "json"

# Which accepted JSON return goes into which fixture. Each return is used once, and
# only returns whose answers are already canonical (codes as codes, numbers as JSON
# numbers, no stray spaces or full-width digits) are used, so that every fixture
# differs from its source only by the file format.
TEMPLATE_XLSX = "91310110MA1A99CRK3"  # 401 staff, 5 vacancy lines, comments
TEMPLATE_ODS = "91310110MA1Q7BU12X"  # 679 staff, 6 vacancy lines, reductions, odd jobs
TEMPLATE_XLS = "91310110MA1FQKJ802"  # 148 staff, 5 vacancy lines, comments
SPREADSHEET = [
    "913101105350007281",  # all-digit credit code, 3 vacancy lines, hire_channels unanswered
    "91310110812015806M",  # partly stopped (stopped_since date), wages in arrears, no vacancies
    "91310110MA1A6JGR1U",  # 4 vacancy lines, labor cooperation workers
]
KOBO_CSV = [  # no vacancy lines, so nothing is lost by the CSV export dropping repeats
    "91310110583395816Y",  # 164 staff, four hire channels
    "91310110MA1EETUKB5",  # wages in arrears, reduction reasons
    "91310110893163439W",  # comments
]
KOBO_XLSX = [  # vacancy lines go to the `vacancies` sheet
    "91310110MA1CBEMGKM",  # 4 vacancy lines
    "913101108763728537",  # 2 vacancy lines, skill_shortage answered
    "91310110MA10YYL15W",  # no vacancy lines, labor cooperation workers
]

# KoboToolbox groups: one per questionnaire section (section id -> group name).
KOBO_GROUPS = {
    "profile": "enterprise",
    "employment": "staffing",
    "vacancy_demand": "demand",
    "hiring_plans": "demand",
    "training": "training",
    "operations": "operations",
    "policy_reach": "policy",
    "support": "support",
}
KOBO_ASSET_NAME = "Yangpu labor demand 2024"  # first sheet of the XLSX export
KOBO_VERSION = "vT7q2YbWm4XkP9sRz3HdLc"  # __version__ of the deployed form
KOBO_FIRST_ID = 318604211  # _id of the first submission; the others follow on
KOBO_YES, KOBO_NO = "yes", "no"  # XLSForm boolean as select_one yes_no

CSV_OPTIONS = "44,34,{charset},1,,0,false,true,true,false,false"
CHARSET_UTF8 = 76  # rtl_TextEncoding RTL_TEXTENCODING_UTF8
CHARSET_GB18030 = 85  # rtl_TextEncoding RTL_TEXTENCODING_GB_18030

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def find_binary(arg):
    candidates = [arg, os.environ.get("LABOR_SURVEY"),
                  REPO / "target" / "release" / "labor-survey",
                  Path.home() / ".cache" / "labor-survey" / "target" / "release" / "labor-survey"]
    for c in candidates:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return str(c)
    sys.exit("labor-survey binary not found: pass --bin or set LABOR_SURVEY")


def load_return(uscc):
    path = JSON_DIR / f"{uscc}.json"
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    assert data["answers"]["uscc"] == uscc, path
    return path, data


def assert_canonical(defn, uscc, ret):
    """The answers are as a form would store them: no typed variants to normalise."""
    kinds = {}
    for _, q in questions(defn):
        kinds[q["id"]] = q["type"]
        for c in q.get("columns", []):
            kinds[f"{q['id']}.{c['id']}"] = c["type"]

    def ok(kind, v):
        if kind == "integer":
            return isinstance(v, int) and not isinstance(v, bool)
        if kind == "boolean":
            return isinstance(v, bool)
        if kind == "multiple_choice":
            return isinstance(v, list) and all(re.fullmatch(r"[a-z0-9_]+", x) for x in v)
        if kind == "date":
            return isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v)
        if kind in ("single_choice", "subdistrict", "industry_code"):
            return isinstance(v, str) and re.fullmatch(r"[a-z0-9_]+", v)
        if kind == "enterprise_id":
            return isinstance(v, str) and re.fullmatch(r"[0-9A-Z]{18}", v)
        return isinstance(v, str) and v == v.strip()

    for k, v in ret["answers"].items():
        if kinds.get(k) == "table":
            for line in v:
                for ck, cv in line.items():
                    assert ok(kinds[f"{k}.{ck}"], cv), (uscc, k, ck, cv)
        else:
            assert ok(kinds[k], v), (uscc, k, v)


def questions(defn):
    """Questions in definition order as (section_id, question), calculated ones left out."""
    for section in defn["sections"]:
        for q in section["questions"]:
            if "calculate" in q:
                continue
            yield section["id"], q


def run(cmd, **kw):
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kw)


class Office:
    """soffice with a private user profile, so a running LibreOffice is not disturbed."""

    def __init__(self, soffice, scratch):
        self.soffice = soffice
        self.profile = Path(scratch) / "lo-profile"

    def convert(self, src, to, outdir):
        run([self.soffice, f"-env:UserInstallation=file://{self.profile}", "--headless",
             "--convert-to", to, "--outdir", outdir, src],
            stdout=subprocess.DEVNULL)

    def version(self):
        out = subprocess.run([self.soffice, "--version"], capture_output=True, text=True)
        return out.stdout.strip()


def check_accepted(binary, scratch, wanted):
    out = Path(scratch) / "ingest-json"
    run([binary, "ingest", DEFINITION, JSON_DIR, "-o", out], cwd=REPO,
        stdout=subprocess.DEVNULL)
    with open(out / "ingest.json", encoding="utf-8") as f:
        report = json.load(f)
    status = {Path(x["file"]).stem: x["status"] for x in report["files"]}
    bad = [u for u in wanted if status.get(u) != "accepted"]
    if bad:
        sys.exit(f"not accepted by ingest: {bad}")
    print(f"all {len(wanted)} chosen returns are accepted by ingest")


# ---------------------------------------------------------------------------
# 1-2. the blank template, filled in
# ---------------------------------------------------------------------------

def list_values(wb, ws, cell):
    """Values of the drop-down list on `cell` (from its data validation), or None."""
    for dv in ws.data_validations.dataValidation:
        if dv.type != "list" or cell not in dv.sqref:
            continue
        m = re.match(r"^'?([^'!]+)'?!\$?([A-Z]+)\$?(\d+):\$?([A-Z]+)\$?(\d+)$", dv.formula1)
        if not m:
            raise ValueError(f"unexpected list formula {dv.formula1}")
        sheet = wb[m.group(1)]
        min_col, min_row, max_col, max_row = range_boundaries(
            f"{m.group(2)}{m.group(3)}:{m.group(4)}{m.group(5)}")
        return [sheet.cell(r, c).value for r in range(min_row, max_row + 1)
                for c in range(min_col, max_col + 1)]
    return None


def pick(values, code, where):
    """The drop-down entry `label [code]` for `code`."""
    for v in values:
        if isinstance(v, str) and v.endswith(f"[{code}]"):
            return v
    raise ValueError(f"{where}: no list entry for code {code!r}")


def fill_template(blank, dest, defn, ret):
    """Fill the blank template as a respondent would, following its own instructions:
    answers in the answer column next to the question id; single choices, industry and
    sub-district as the drop-down entry `label [code]`; yes/no and each option of a
    multiple choice as the drop-down 是/否; dates as dates; one table row per line."""
    answers = ret["answers"]
    kinds = {q["id"]: q for _, q in questions(defn)}
    wb = openpyxl.load_workbook(blank)
    meta = {r[0]: r[1] for r in wb["_survey"].iter_rows(values_only=True)}
    ws = wb[meta["answer_sheet"]]

    # header row: find the id column and the answer column
    id_col = ans_col = header_row = None
    for row in ws.iter_rows(min_row=1, max_row=10):
        for c in row:
            if c.value == "题目编号":
                id_col, header_row = c.column, c.row
            if c.value == "回答":
                ans_col = c.column
        if id_col and ans_col:
            break
    assert id_col and ans_col, "answer sheet header not found"

    yes_no = None
    for r in range(header_row + 1, ws.max_row + 1):
        qid = ws.cell(r, id_col).value
        if not qid:
            continue
        cell = ws.cell(r, ans_col)
        if ":" in qid:  # one option of a multiple choice
            parent, code = qid.split(":", 1)
            if parent not in answers:
                continue  # not answered (or skipped): leave blank
            opts = list_values(wb, ws, cell.coordinate)
            yes_no = opts
            cell.value = opts[0] if code in answers[parent] else opts[1]
            continue
        q = kinds.get(qid)
        if q is None or qid not in answers or q["type"] in ("multiple_choice", "table"):
            continue
        value = answers[qid]
        kind = q["type"]
        if kind == "boolean":
            opts = list_values(wb, ws, cell.coordinate)  # [是, 否]
            cell.value = opts[0] if value else opts[1]
        elif kind in ("single_choice", "industry_code", "subdistrict"):
            cell.value = pick(list_values(wb, ws, cell.coordinate), value, qid)
        elif kind == "date":
            cell.value = dt.datetime.strptime(value, "%Y-%m-%d")
        elif kind in ("integer", "decimal"):
            cell.value = value
        else:  # text, enterprise_id
            cell.value = str(value)
    assert yes_no is None or yes_no[:2] == ["是", "否"], yes_no

    # the table sheet: rows under the header row of column ids
    table_q = next(q for _, q in questions(defn) if q["type"] == "table")
    tws = wb[meta[f"table:{table_q['id']}"]]
    col_ids = [c["id"] for c in table_q["columns"]]
    col_kinds = {c["id"]: c["type"] for c in table_q["columns"]}
    id_row = None
    for row in tws.iter_rows(min_row=1, max_row=10):
        if [c.value for c in row[:len(col_ids)]] == col_ids:
            id_row = row[0].row
            break
    assert id_row, "column id row not found on the table sheet"
    for i, line in enumerate(answers.get(table_q["id"], [])):
        r = id_row + 1 + i
        for j, cid in enumerate(col_ids, start=1):
            if cid not in line:
                continue
            cell = tws.cell(r, j)
            v = line[cid]
            if col_kinds[cid] == "single_choice":
                cell.value = pick(list_values(wb, tws, cell.coordinate), v, cid)
            elif col_kinds[cid] == "integer":
                cell.value = v
            else:
                cell.value = str(v)
    wb.save(dest)


# ---------------------------------------------------------------------------
# 3. a wide spreadsheet saved as CSV
# ---------------------------------------------------------------------------

def wide_columns(defn, rets):
    table_q = next(q for _, q in questions(defn) if q["type"] == "table")
    n_lines = max(len(r["answers"].get(table_q["id"], [])) for r in rets)
    cols = [("meta", "survey", "text"), ("meta", "version", "text"),
            ("meta", "submitted_at", "text")]
    for _, q in questions(defn):
        if q["type"] == "table":
            for i in range(1, n_lines + 1):
                for c in q["columns"]:
                    cols.append(("line", (q["id"], i, c["id"]), c["type"]))
        else:
            cols.append(("q", q["id"], q["type"]))
    return cols


def header_of(col):
    kind, key, _ = col
    if kind == "line":
        tid, i, cid = key
        return f"{tid}[{i}].{cid}"
    return key


def make_wide_sheet(dest, defn, rets):
    cols = wide_columns(defn, rets)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "returns"
    for j, col in enumerate(cols, start=1):
        ws.cell(1, j, header_of(col)).number_format = "@"
    for i, ret in enumerate(rets, start=2):
        a = ret["answers"]
        for j, (kind, key, typ) in enumerate(cols, start=1):
            if kind == "meta":
                v = ret[key]
            elif kind == "line":
                tid, n, cid = key
                lines = a.get(tid, [])
                v = lines[n - 1].get(cid) if n <= len(lines) else None
            else:
                v = a.get(key)
            if v is None:
                continue
            cell = ws.cell(i, j)
            if typ == "multiple_choice":
                if v:  # an empty list stays an empty cell
                    cell.value = ";".join(v)
                    cell.number_format = "@"
            elif typ == "boolean":
                cell.value = bool(v)  # a spreadsheet TRUE/FALSE cell
            elif typ == "date":
                cell.value = dt.datetime.strptime(v, "%Y-%m-%d")
                cell.number_format = "yyyy-mm-dd"
            elif typ in ("integer", "decimal"):
                cell.value = v
            else:  # codes and text: typed as text so nothing turns into a number or date
                cell.value = str(v)
                cell.number_format = "@"
    wb.save(dest)
    return [header_of(c) for c in cols]


# ---------------------------------------------------------------------------
# 4-5. KoboToolbox exports
# ---------------------------------------------------------------------------

def kobo_meta(rets):
    out = []
    for k, ret in enumerate(rets):
        uscc = ret["answers"]["uscc"]
        at = dt.datetime.fromisoformat(ret["submitted_at"])
        h = int(hashlib.sha256(uscc.encode()).hexdigest(), 16)
        start = at - dt.timedelta(minutes=9 + h % 11, seconds=h % 53)
        end = at - dt.timedelta(seconds=20 + h % 37)
        ms_start, ms_end = h % 1000, (h // 1000) % 1000

        def local(t, ms):
            t = t.astimezone(SHANGHAI)
            return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms:03d}+08:00"

        out.append({
            "start": local(start, ms_start),
            "end": local(end, ms_end),
            "today": at.astimezone(SHANGHAI).strftime("%Y-%m-%d"),
            "_id": KOBO_FIRST_ID + 17 * k,
            "_uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"kobo:yangpu-spring-2024:{uscc}")),
            "_submission_time": at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
            "_validation_status": "validation_status_approved" if k == 0 else "",
            "_notes": "",
            "_status": "submitted_via_web",
            "_submitted_by": "",
            "__version__": KOBO_VERSION,
            "_tags": "",
            "_index": k + 1,
        })
    return out


COPY_FIELDS = ["_id", "_uuid", "_submission_time", "_validation_status", "_notes",
               "_status", "_submitted_by", "__version__", "_tags"]


def kobo_value(typ, v):
    if v is None:
        return ""
    if typ == "boolean":
        return KOBO_YES if v else KOBO_NO
    return str(v)


def kobo_main(defn, rets):
    """Header and rows of the main section, as formpack writes them (all text)."""
    header = ["start", "end", "today"]
    fields = []
    for sid, q in questions(defn):
        if q["type"] == "table":
            continue  # a repeat group: its own section
        name = f"{KOBO_GROUPS[sid]}/{q['id']}"
        if q["type"] == "multiple_choice":
            opts = [o["code"] for o in defn["choices"][q["choices"]]["options"]]
            header.append(name)
            header.extend(f"{name}/{o}" for o in opts)
            fields.append((q, opts))
        else:
            header.append(name)
            fields.append((q, None))
    header += COPY_FIELDS + ["_index"]
    metas = kobo_meta(rets)
    rows = []
    for ret, meta in zip(rets, metas):
        a = ret["answers"]
        row = [meta["start"], meta["end"], meta["today"]]
        for q, opts in fields:
            v = a.get(q["id"])
            if opts is not None:
                if not v:  # unanswered (or nothing ticked): every cell empty
                    row.extend([""] * (1 + len(opts)))
                else:
                    row.append(" ".join(v))
                    row.extend("1" if o in v else "0" for o in opts)
            else:
                row.append(kobo_value(q["type"], v))
        row += [meta[f] for f in COPY_FIELDS] + [meta["_index"]]
        rows.append(row)
    return header, rows, metas


def write_kobo_csv(dest, defn, rets):
    header, rows, _ = kobo_main(defn, rets)

    def line(values):
        cells = [str(x).replace('"', '""') for x in values]
        return '"' + '";"'.join(cells) + '"'

    with open(dest, "wb") as f:
        for values in [header] + rows:
            f.write((line(values) + "\r\n").encode("utf-8"))
    return header


def write_kobo_xlsx(dest, defn, rets):
    header, rows, metas = kobo_main(defn, rets)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = KOBO_ASSET_NAME[:31]
    ws.append(header)
    for row in rows:
        # xls_types_as_text (Kobo's default): answers as text; _id and _index are numbers
        ws.append(row)
    table_q = next(q for _, q in questions(defn) if q["type"] == "table")
    group = KOBO_GROUPS[next(s for s, q in questions(defn) if q is table_q)]
    vheader = [f"{group}/{table_q['id']}/{c['id']}" for c in table_q["columns"]]
    vheader += ["_index", "_parent_table_name", "_parent_index"]
    vheader += [f"_submission_{f}" for f in COPY_FIELDS]
    vrows = []
    n = 0
    for ret, meta in zip(rets, metas):
        for line in ret["answers"].get(table_q["id"], []):
            n += 1
            r = [kobo_value(c["type"], line.get(c["id"])) for c in table_q["columns"]]
            r += [n, ws.title, meta["_index"]]
            r += [meta[f] for f in COPY_FIELDS]
            vrows.append(r)
    if vrows:  # Kobo adds the sheet only when some submission has a line
        vs = wb.create_sheet(table_q["id"])
        vs.append(vheader)
        for r in vrows:
            vs.append(r)
    wb.save(dest)
    return header, vheader


# ---------------------------------------------------------------------------
# 6. expected values, from the source JSON
# ---------------------------------------------------------------------------

def expected_return(path, ret, with_submitted_at, kobo=False):
    a = ret["answers"]
    lines = a.get("vacancies", [])
    e = {
        "uscc": a["uscc"],
        "name": a["name"],
        "source": str(path.relative_to(REPO)),
        "employees_now": a.get("employees_now"),
        "planned_hires": a.get("planned_hires"),
        "operating_status": a.get("operating_status"),
        "hire_channels": sorted(a["hire_channels"]) if "hire_channels" in a else None,
        "vacancy_lines": len(lines),
        "vacancy_openings": sum(x.get("openings", 0) for x in lines),
        "submitted_on": a.get("submitted_on"),
    }
    if with_submitted_at:
        e["submitted_at"] = ret["submitted_at"]
    if kobo:
        e["_submission_time"] = dt.datetime.fromisoformat(ret["submitted_at"]).astimezone(
            dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return e


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", help="labor-survey binary (template, ingest)")
    ap.add_argument("--soffice", default="soffice")
    ap.add_argument("--no-check", action="store_true",
                    help="do not re-check with ingest that the chosen returns are accepted")
    args = ap.parse_args()

    binary = find_binary(args.bin)
    with open(DEFINITION, "rb") as f:
        defn = tomllib.load(f)
    chosen = ([TEMPLATE_XLSX, TEMPLATE_ODS, TEMPLATE_XLS] + SPREADSHEET + KOBO_CSV
              + KOBO_XLSX)
    assert len(set(chosen)) == len(chosen), "each return must be used once"
    src = {u: load_return(u) for u in chosen}
    for u, (_, ret) in src.items():
        assert_canonical(defn, u, ret)

    scratch = tempfile.mkdtemp(prefix="labor-survey-fixtures-")
    try:
        office = Office(args.soffice, scratch)
        if not args.no_check:
            check_accepted(binary, scratch, chosen)

        # 1-2. filled templates
        blank = Path(scratch) / "blank.xlsx"
        run([binary, "template", DEFINITION, "-o", blank], cwd=REPO, stdout=subprocess.DEVNULL)
        jobs = [(TEMPLATE_XLSX, "template-filled-libreoffice", "xlsx", "xlsx"),
                (TEMPLATE_ODS, "template-filled", "ods", "ods"),
                (TEMPLATE_XLS, "template-filled", "xls", 'xls:MS Excel 97')]
        for uscc, stem, ext, to in jobs:
            d = Path(scratch) / f"fill-{ext}"
            d.mkdir()
            filled = d / f"{stem}.xlsx"
            fill_template(blank, filled, defn, src[uscc][1])
            out = Path(scratch) / f"out-{ext}"
            office.convert(filled, to, out)
            shutil.copyfile(out / f"{stem}.{ext}", HERE / f"{stem}.{ext}")
            shutil.copyfile(filled, Path(scratch) / f"{stem}.openpyxl.xlsx")

        # 3. a wide sheet saved as CSV by LibreOffice
        wide = Path(scratch) / "spreadsheet.xlsx"
        wide_header = make_wide_sheet(wide, defn, [src[u][1] for u in SPREADSHEET])
        for charset, name in [(CHARSET_UTF8, "spreadsheet-utf8.csv"),
                              (CHARSET_GB18030, "spreadsheet-gb18030.csv")]:
            out = Path(scratch) / f"csv-{charset}"
            office.convert(wide, "csv:Text - txt - csv (StarCalc):"
                           + CSV_OPTIONS.format(charset=charset), out)
            shutil.copyfile(out / "spreadsheet.csv", HERE / name)
        utf8 = (HERE / "spreadsheet-utf8.csv").read_bytes()
        (HERE / "spreadsheet-utf8-bom.csv").write_bytes(b"\xef\xbb\xbf" + utf8)
        gb = (HERE / "spreadsheet-gb18030.csv").read_bytes()
        assert gb.decode("gb18030") == utf8.decode("utf-8"), "GB18030 CSV differs"
        assert gb != utf8, "GB18030 CSV holds no non-ASCII text"

        # 4-5. KoboToolbox exports
        kobo_header = write_kobo_csv(HERE / "kobo-export.csv", defn,
                                     [src[u][1] for u in KOBO_CSV])
        write_kobo_xlsx(HERE / "kobo-export.xlsx", defn, [src[u][1] for u in KOBO_XLSX])

        # 6. expected.json
        def rets(us, **kw):
            return [expected_return(src[u][0], src[u][1], **kw) for u in us]

        files = {
            "template-filled-libreoffice.xlsx": rets([TEMPLATE_XLSX], with_submitted_at=False),
            "template-filled.ods": rets([TEMPLATE_ODS], with_submitted_at=False),
            "template-filled.xls": rets([TEMPLATE_XLS], with_submitted_at=False),
            "spreadsheet-utf8.csv": rets(SPREADSHEET, with_submitted_at=True),
            "spreadsheet-utf8-bom.csv": rets(SPREADSHEET, with_submitted_at=True),
            "spreadsheet-gb18030.csv": rets(SPREADSHEET, with_submitted_at=True),
            "kobo-export.csv": rets(KOBO_CSV, with_submitted_at=True, kobo=True),
            "kobo-export.xlsx": rets(KOBO_XLSX, with_submitted_at=True, kobo=True),
        }
        notes = {
            "template-filled-libreoffice.xlsx": "template answers: choices as `label [code]`, yes/no and multiple-choice options as 是/否, dates as date cells; re-saved by LibreOffice",
            "template-filled.ods": "as the .xlsx, converted by LibreOffice to OpenDocument",
            "template-filled.xls": "as the .xlsx, converted by LibreOffice to MS Excel 97 (BIFF8)",
            "spreadsheet-utf8.csv": "comma, UTF-8 without BOM, LF; booleans TRUE/FALSE; multiple choice codes joined by ';' (empty cell when unanswered or nothing ticked); dates yyyy-mm-dd",
            "spreadsheet-utf8-bom.csv": "spreadsheet-utf8.csv with EF BB BF in front",
            "spreadsheet-gb18030.csv": "spreadsheet-utf8.csv's sheet saved by LibreOffice in GB18030",
            "kobo-export.csv": "KoboToolbox CSV: ';', every field quoted, CRLF, UTF-8 without BOM; booleans yes/no; select_multiple as space-separated codes plus 1/0 per option; no vacancy lines (repeat groups are not in Kobo CSV exports; these returns have none)",
            "kobo-export.xlsx": "KoboToolbox XLSX: main sheet as kobo-export.csv (values as text, _id/_index numbers) plus a `vacancies` sheet with the lines",
        }
        expected = {
            "survey": defn["survey"]["id"],
            "version": defn["survey"]["version"],
            "generated_with": {
                "libreoffice": office.version(),
                "openpyxl": openpyxl.__version__,
                "python": sys.version.split()[0],
            },
            "notes": {
                "values": "all expected values are taken from the source JSON returns, not from running the tool",
                "hire_channels": "sorted codes; null when the return does not answer the question",
                "vacancy_openings": "sum of `openings` over the vacancy lines",
                "submitted_at": "given where the file carries a submission time; Kobo's _submission_time is the same instant in UTC without an offset",
            },
            "files": {
                name: {
                    "enterprises": [r["uscc"] for r in rs],
                    "note": notes[name],
                    "returns": rs,
                }
                for name, rs in files.items()
            },
        }
        with open(HERE / "expected.json", "w", encoding="utf-8") as f:
            json.dump(expected, f, ensure_ascii=False, indent=2)
            f.write("\n")

        print("spreadsheet CSV header:", ",".join(wide_header))
        print("kobo CSV header:", ";".join(kobo_header))
        print("wrote", ", ".join(sorted(p.name for p in HERE.iterdir() if p.is_file())))
    finally:
        keep = os.environ.get("KEEP_SCRATCH")
        if keep:
            print("scratch kept in", scratch)
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
