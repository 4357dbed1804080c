#!/bin/sh
# Regenerate the fixtures in tests/formats/ (see README.md there).
# Needs python3 with openpyxl, LibreOffice (soffice) and a built labor-survey binary;
# pass the binary as LABOR_SURVEY=/path/to/labor-survey or --bin PATH if it is not in
# target/release/ or ~/.cache/labor-survey/target/release/.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
python3 -c 'import openpyxl' 2>/dev/null || {
    echo "openpyxl missing: pip install openpyxl" >&2
    exit 2
}
command -v soffice >/dev/null || { echo "LibreOffice (soffice) not on PATH" >&2; exit 2; }
exec python3 "$here/make_fixtures.py" "$@"
