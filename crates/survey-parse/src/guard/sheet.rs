//! Where calamine will put cells: A1 references, the position it infers for cells
//! without one, `<dimension>` and merged ranges, and shared formulas, all held inside
//! `A1:XFD1048576` and to `max_cells_per_sheet`.
//!
//! calamine sizes a sheet's grid from the corners of its cells and of its declared
//! dimension before it fills it: a sheet with cells at `A1` and `XFD1048576`, or a
//! `<dimension ref="A1:XFD1048576"/>`, is a few hundred bytes that ask for seventeen
//! billion cells, and the process aborts. It also subtracts range corners without
//! checking their order, and sizes its table of shared formulas by the largest index
//! declared. So the bounding box of every position calamine would compute is followed as
//! the cells go by, references it could not place are damage, and the nesting inside a
//! cell is held to what calamine reads, so that the scan and calamine stay in step.

use super::scan::{attrs, leading_number, local_name, parse_digits};
use super::{Refusal, quoted};
use crate::limits::Limits;
use crate::rejection::{Rule, a1};

/// Rows of an Excel sheet: row numbers run from 1 to 1,048,576.
pub const MAX_ROWS: u32 = 1_048_576;
/// Columns of an Excel sheet: `A` to `XFD`, 16,384.
pub const MAX_COLS: u32 = 16_384;
/// Fewest bytes of a sheet one shared formula is taken to need (its anchor cell,
/// `<c r="A1"><f t="shared" ref="A1:A9" si="0">A1</f></c>`, takes more than 50).
/// calamine sizes its table of shared formulas by the largest `si` index.
const SHARED_FORMULA_BYTES: u64 = 32;
/// Deepest nesting of elements inside one cell (`<c><is><r><rPr><b/>` is 4).
const MAX_CELL_DEPTH: usize = 32;

/// Parses an A1 cell reference (`A1`, `XFD1048576`; letters in either case, no `$`)
/// into a 0-based `(row, column)`: `A1` is `(0, 0)`, `XFD1048576` is
/// `(1048575, 16383)`, the inverse of [`crate::rejection::a1`]. `None` when it is not a
/// reference or lies outside an Excel sheet (column after `XFD`, row 0 or after
/// 1,048,576).
///
/// ```
/// use survey_parse::guard::cell_ref;
/// assert_eq!(cell_ref("B3"), Some((2, 1)));
/// assert_eq!(cell_ref("XFD1048576"), Some((1_048_575, 16_383)));
/// assert_eq!(cell_ref("XFE1"), None);
/// ```
pub fn cell_ref(reference: &str) -> Option<(u32, u32)> {
    match parse_cell(reference.as_bytes()) {
        Ok(Some(pos)) => Some(pos),
        _ => None,
    }
}

/// Parses an A1 reference. `Err(())`: not a reference at all; `Ok(None)`: a reference
/// outside `A1:XFD1048576`; `Ok(Some((row, col)))`, 0-based.
fn parse_cell(bytes: &[u8]) -> Result<Option<(u32, u32)>, ()> {
    let letters = bytes.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let digits = &bytes[letters..];
    if letters == 0 || digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(());
    }
    let mut col: u64 = 0;
    for &b in &bytes[..letters] {
        col = (col * 26 + u64::from(b.to_ascii_uppercase() - b'A') + 1).min(u64::from(u32::MAX));
    }
    let row = parse_digits(digits);
    if row == 0 {
        return Err(());
    }
    if col > u64::from(MAX_COLS) || row > u64::from(MAX_ROWS) {
        return Ok(None);
    }
    Ok(Some((row as u32 - 1, col as u32 - 1)))
}

/// Cells of the `<sheetData>` being read: calamine's position state, and what was seen.
pub(super) struct SheetData {
    /// The row calamine gives a cell without `r` (0-based).
    row: u64,
    /// The column calamine gives a cell without `r` (0-based).
    col: u64,
    /// Cells seen.
    cells: u64,
    /// Bounding box of cell positions: (first row, first column, last row, last column).
    bbox: Option<(u32, u32, u32, u32)>,
}

impl SheetData {
    fn new() -> Self {
        SheetData {
            row: 0,
            col: 0,
            cells: 0,
            bbox: None,
        }
    }

    fn add(&mut self, (row, col): (u32, u32)) {
        self.bbox = Some(match self.bbox {
            None => (row, col, row, col),
            Some((r0, c0, r1, c1)) => (r0.min(row), c0.min(col), r1.max(row), c1.max(col)),
        });
    }
}

/// The `ref` of a `<dimension>` element (attributes `raw_attrs`).
pub(super) fn check_dimension_refs(raw_attrs: &[u8], part: &str, limits: &Limits) -> Result<(), Refusal> {
    for (key, value) in attrs(raw_attrs).map_while(Result::ok) {
        if key == b"ref" {
            check_dimension(value, part, limits)?;
        }
    }
    Ok(())
}

/// The `ref` of a `<mergeCell>` element (attributes `raw_attrs`): a range inside the
/// sheet, first corner first.
pub(super) fn check_merge_cell(raw_attrs: &[u8], part: &str) -> Result<(), Refusal> {
    for (key, value) in attrs(raw_attrs).map_while(Result::ok) {
        if key == b"ref" && parse_range(value).is_none() {
            return Err(bad_reference(part, value));
        }
    }
    Ok(())
}

/// The attributes of a formula (`<f>`, attributes `raw_attrs`): its `ref` a range inside
/// the sheet when it is a cell's formula (`in_cell`), and its shared formula index `si`
/// one the `part_len` bytes of the part have room for.
pub(super) fn check_formula(raw_attrs: &[u8], in_cell: bool, part_len: usize, part: &str) -> Result<(), Refusal> {
    for (key, value) in attrs(raw_attrs).map_while(Result::ok) {
        if key == b"ref" && in_cell && parse_range(value).is_none() {
            return Err(bad_reference(part, value));
        }
        if key == b"si" && leading_number(value).saturating_mul(SHARED_FORMULA_BYTES) > part_len as u64 {
            return Err(Refusal::new(
                Rule::TooLarge,
                format!(
                    "工作表“{}”声明了第 {} 号共享公式，远超其内容所能容纳",
                    quoted(part.as_bytes()),
                    quoted(value)
                ),
                format!(
                    "sheet part `{}` declares shared formula number {}, far more than it can hold",
                    quoted(part.as_bytes()),
                    quoted(value)
                ),
            ));
        }
    }
    Ok(())
}

/// A start tag, for the cell data of a sheet (a self-closing one is a start, then an end).
pub(super) fn start_tag<'a>(
    qname: &'a [u8],
    raw_attrs: &'a [u8],
    sheet: &mut Option<SheetData>,
    cell: &mut Option<&'a [u8]>,
    stack: &mut Vec<&'a [u8]>,
    part: &str,
    limits: &Limits,
) -> Result<(), Refusal> {
    let local = local_name(qname);
    // Cell data: calamine reads from the first `<sheetData>` to its end.
    if cell.is_some() {
        // Inside a cell, calamine reads the value elements whole; rows, cells or sheet data
        // in there would put it out of step with this scan.
        if matches!(local, b"c" | b"row" | b"sheetData") || stack.len() >= MAX_CELL_DEPTH {
            return Err(malformed_cell(part));
        }
        stack.push(qname);
        return Ok(());
    }
    if local == b"sheetData" {
        if sheet.is_some() {
            return Err(malformed_cell(part));
        }
        *sheet = Some(SheetData::new());
        return Ok(());
    }
    let Some(sd) = sheet.as_mut() else { return Ok(()) };
    match local {
        b"row" => {
            // calamine takes the first `r`; every one must be a row number.
            let mut first = None;
            for attr in attrs(raw_attrs) {
                let (key, value) = attr.map_err(|()| malformed_cell(part))?;
                if key == b"r" {
                    let row = leading_number(value);
                    if value.is_empty()
                        || !value.iter().all(u8::is_ascii_digit)
                        || row == 0
                        || row > u64::from(MAX_ROWS)
                    {
                        return Err(bad_reference(part, value));
                    }
                    first.get_or_insert(row - 1);
                }
            }
            if let Some(row) = first {
                sd.row = row;
            }
        }
        b"c" => {
            // calamine takes `r`, `s` and `t` in one pass that stops once it has seen three
            // of them, the last `r` seen winning; every `r` must be a cell reference, and all
            // count towards the bounding box.
            let (mut found, mut chosen) = (0, None);
            for attr in attrs(raw_attrs) {
                let (key, value) = attr.map_err(|()| malformed_cell(part))?;
                let is_r = key == b"r";
                if is_r {
                    let pos = match parse_cell(value) {
                        Ok(Some(pos)) => pos,
                        _ => return Err(bad_reference(part, value)),
                    };
                    sd.add(pos);
                    if found < 3 {
                        chosen = Some(pos);
                    }
                }
                if found < 3 && (is_r || key == b"s" || key == b"t") {
                    found += 1;
                }
            }
            let (row, col) = match chosen {
                Some((row, col)) => (u64::from(row), u64::from(col)),
                None => (sd.row, sd.col),
            };
            if row >= u64::from(MAX_ROWS) || col >= u64::from(MAX_COLS) {
                return Err(Refusal::new(
                    Rule::Damaged,
                    format!(
                        "工作表“{}”有单元格在第 1048576 行或 XFD 列之外，文件已损坏",
                        quoted(part.as_bytes())
                    ),
                    format!(
                        "sheet part `{}` has a cell beyond row 1048576 or column XFD; the file is damaged",
                        quoted(part.as_bytes())
                    ),
                ));
            }
            sd.add((row as u32, col as u32));
            sd.col = col + 1;
            sd.cells += 1;
            if sd.cells > limits.max_cells_per_sheet {
                return Err(Refusal::new(
                    Rule::TooLarge,
                    format!(
                        "工作表“{}”的单元格超过上限 {}",
                        quoted(part.as_bytes()),
                        limits.max_cells_per_sheet
                    ),
                    format!(
                        "sheet part `{}` has more than {} cells",
                        quoted(part.as_bytes()),
                        limits.max_cells_per_sheet
                    ),
                ));
            }
            *cell = Some(qname);
        }
        _ => {}
    }
    Ok(())
}

/// An end tag (`qname` as quick-xml reports it: the tag's content, trailing whitespace
/// trimmed).
pub(super) fn end_tag<'a>(
    qname: &'a [u8],
    sheet: &mut Option<SheetData>,
    cell: &mut Option<&'a [u8]>,
    stack: &mut Vec<&'a [u8]>,
    part: &str,
    limits: &Limits,
) -> Result<(), Refusal> {
    if let Some(open) = *cell {
        // Inside a cell, elements must close in order, and the cell last.
        match stack.pop() {
            Some(top) if top == qname => {}
            Some(_) => return Err(malformed_cell(part)),
            None if qname == open => *cell = None,
            None => return Err(malformed_cell(part)),
        }
        return Ok(());
    }
    let Some(sd) = sheet.as_mut() else { return Ok(()) };
    match local_name(qname) {
        b"row" => {
            sd.row += 1;
            sd.col = 0;
        }
        b"sheetData" => {
            check_cells(sd, part, limits)?;
            *sheet = None;
        }
        _ => {}
    }
    Ok(())
}

/// The bounding box of a sheet's cells against `max_cells_per_sheet`.
pub(super) fn check_cells(sheet: &SheetData, part: &str, limits: &Limits) -> Result<(), Refusal> {
    let Some((r0, c0, r1, c1)) = sheet.bbox else {
        return Ok(());
    };
    let area = u64::from(r1 - r0 + 1) * u64::from(c1 - c0 + 1);
    if area > limits.max_cells_per_sheet {
        let (from, to) = (a1(r0, c0), a1(r1, c1));
        return Err(Refusal::new(
            Rule::TooLarge,
            format!(
                "工作表“{}”的单元格分布在 {from} 到 {to}，范围含 {area} 个单元格，超过上限 {}",
                quoted(part.as_bytes()),
                limits.max_cells_per_sheet
            ),
            format!(
                "sheet part `{}` has cells from {from} to {to}, a range of {area} cells, more than the limit of {}",
                quoted(part.as_bytes()),
                limits.max_cells_per_sheet
            ),
        ));
    }
    Ok(())
}

/// A range (`A1:B2`, or one cell `A1`) inside the sheet, first corner first: calamine
/// subtracts the corners without checking their order (a panic in a debug build).
fn parse_range(value: &[u8]) -> Option<((u32, u32), (u32, u32))> {
    let mut corners = value.split(|&b| b == b':');
    let first = corners.next().unwrap_or_default();
    let second = corners.next().unwrap_or(first);
    if corners.next().is_some() {
        return None;
    }
    let (Ok(Some(from)), Ok(Some(to))) = (parse_cell(first), parse_cell(second)) else {
        return None;
    };
    (from.0 <= to.0 && from.1 <= to.1).then_some((from, to))
}

/// A `<dimension ref="A1:XFD1048576">` against `max_cells_per_sheet`.
fn check_dimension(value: &[u8], part: &str, limits: &Limits) -> Result<(), Refusal> {
    let ((r0, c0), (r1, c1)) = parse_range(value).ok_or_else(|| bad_reference(part, value))?;
    let area = u64::from(r1 - r0 + 1) * u64::from(c1 - c0 + 1);
    if area > limits.max_cells_per_sheet {
        return Err(Refusal::new(
            Rule::TooLarge,
            format!(
                "工作表“{}”声明的范围 {} 含 {area} 个单元格，超过上限 {}",
                quoted(part.as_bytes()),
                quoted(value),
                limits.max_cells_per_sheet
            ),
            format!(
                "sheet part `{}` declares the range {} of {area} cells, more than the limit of {}",
                quoted(part.as_bytes()),
                quoted(value),
                limits.max_cells_per_sheet
            ),
        ));
    }
    Ok(())
}

fn bad_reference(part: &str, value: &[u8]) -> Refusal {
    let (part, value) = (quoted(part.as_bytes()), quoted(value));
    Refusal::new(
        Rule::Damaged,
        format!("工作表“{part}”中的单元格引用“{value}”无效或超出 A1:XFD1048576，文件已损坏"),
        format!(
            "sheet part `{part}` has the cell reference `{value}`, which is invalid or outside A1:XFD1048576; the file is damaged"
        ),
    )
}

fn malformed_cell(part: &str) -> Refusal {
    let part = quoted(part.as_bytes());
    Refusal::new(
        Rule::Damaged,
        format!("工作表“{part}”的单元格数据格式错误，文件已损坏"),
        format!("sheet part `{part}` has malformed cell data; the file is damaged"),
    )
}

#[cfg(test)]
mod tests;
