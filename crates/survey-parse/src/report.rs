//! The ingest reports: `rejects.jsonl` and `rejects.xlsx` (one row per problem) and
//! `ingest.json` (the accounting of every return received).

use crate::rejection::{Rejection, Severity};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Table, TableColumn, Workbook, XlsxError};
use survey_def::Definition;
use survey_files::dataset::{DefinitionInfo, IngestSummary};
use survey_files::excel::CELL_TEXT_LIMIT;

/// The identity of `def`, as the dataset records it.
pub fn definition_info(def: &Definition) -> DefinitionInfo {
    DefinitionInfo {
        survey: def.survey().id.clone(),
        version: def.survey().version.clone(),
        fingerprint: def.fingerprint.clone(),
        earlier_versions: def.earlier_versions().iter().map(|e| e.version.clone()).collect(),
    }
}

/// Column of the line number in the problems sheet, written as a number.
const LINE_COLUMN: u16 = 5;
/// Column of the Chinese message in the problems sheet.
const MESSAGE_COLUMN: u16 = 13;

/// Rows of problems the workbook lists (Excel's row limit, less the header and a note).
const MAX_WORKBOOK_ROWS: usize = 1_048_574;

/// Cuts text to what an Excel cell holds, marking the cut (a 40,000-character JSON key
/// would otherwise stop the whole workbook).
fn fit_cell(text: &str) -> std::borrow::Cow<'_, str> {
    let fits = survey_files::excel::truncate_utf16(text, CELL_TEXT_LIMIT);
    if fits.len() == text.len() {
        return fits;
    }
    // One unit for the mark: `…` is a single UTF-16 unit.
    let kept = survey_files::excel::truncate_utf16(text, CELL_TEXT_LIMIT - 1);
    std::borrow::Cow::Owned(format!("{kept}…"))
}

/// One JSON object per line, in the order given.
pub fn rejects_jsonl(rejections: &[Rejection]) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::new();
    for r in rejections {
        serde_json::to_writer(&mut out, r)?;
        out.push(b'\n');
    }
    Ok(out)
}

/// The rejects workbook: a filterable table of every problem, a sheet of superseded
/// returns and the counts. Values from returns are written as text, never as formulas.
pub fn rejects_workbook(
    def: &Definition,
    summary: &IngestSummary,
    rejections: &[Rejection],
) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    wb.set_properties(
        &DocProperties::new()
            .set_title(format!("{} — rejects", def.survey().id))
            // Fixed, so identical inputs give identical bytes.
            .set_creation_datetime(&ExcelDateTime::from_ymd(2000, 1, 1)?),
    );
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();

    let sheet = wb.add_worksheet().set_name("问题 Problems")?;
    let headers = [
        ("文件 File", 28.0),
        ("企业代码 Enterprise id", 20.0),
        ("企业名称 Enterprise name", 24.0),
        ("工作表 Sheet", 14.0),
        ("单元格 Cell", 9.0),
        ("行 Line", 7.0),
        ("JSON 路径 Path", 24.0),
        ("题目 Question", 22.0),
        ("题目名称", 24.0),
        ("Question label", 24.0),
        ("收到的值 Value received", 22.0),
        ("规则 Rule", 18.0),
        ("级别 Severity", 9.0),
        ("说明", 36.0),
        ("Message", 36.0),
        ("已由更正的回答替代 Resolved by", 28.0),
    ];
    // Excel holds 1,048,576 rows: beyond that the list is in rejects.jsonl only.
    let listed = &rejections[..rejections.len().min(MAX_WORKBOOK_ROWS)];
    for (r, row) in listed.iter().enumerate() {
        let r = r as u32 + 1;
        let cells = [
            Some(row.location.file.clone()),
            row.enterprise_id.clone(),
            row.enterprise_name.clone(),
            row.location.sheet.clone(),
            row.location.cell.clone(),
            None,
            row.location.json_path.clone(),
            row.question.clone(),
            row.label_zh.clone(),
            row.label_en.clone(),
            row.value.clone(),
            Some(row.rule.as_str().to_owned()),
            Some(
                if row.severity == Severity::Error {
                    "error"
                } else {
                    "warning"
                }
                .to_owned(),
            ),
            Some(row.message_zh.clone()),
            Some(row.message_en.clone()),
            row.resolved_by.clone(),
        ];
        for (c, cell) in cells.iter().enumerate() {
            if let Some(text) = cell {
                sheet.write_string_with_format(r, c as u16, fit_cell(text), &wrap)?;
            }
        }
        if let Some(line) = row.location.line {
            sheet.write_number(r, LINE_COLUMN, line as f64)?;
        }
    }
    if listed.len() < rejections.len() {
        let r = listed.len() as u32 + 1;
        let more = rejections.len() - listed.len();
        sheet.write_string(r, MESSAGE_COLUMN, format!("另有 {more} 个问题见 rejects.jsonl"))?;
        sheet.write_string(r, 12, format!("{more} more problems are listed in rejects.jsonl"))?;
    }
    for (c, (_, width)) in headers.iter().enumerate() {
        sheet.set_column_width(c as u16, *width)?;
    }
    let columns: Vec<TableColumn> = headers.iter().map(|(h, _)| TableColumn::new().set_header(*h)).collect();
    let last_row = (listed.len() + usize::from(listed.len() < rejections.len())).max(1) as u32;
    sheet.add_table(
        0,
        0,
        last_row,
        headers.len() as u16 - 1,
        &Table::new().set_columns(&columns),
    )?;
    sheet.set_freeze_panes(1, 0)?;

    let sup = wb.add_worksheet().set_name("被替代 Superseded")?;
    let sup_headers = [
        "企业 Enterprise",
        "文件 File",
        "记录 Record",
        "替代文件 Replaced by",
        "替代记录 Record",
    ];
    for (i, s) in summary.superseded_returns.iter().enumerate() {
        let r = i as u32 + 1;
        let cells = [
            Some(&s.enterprise_id),
            Some(&s.file),
            s.record.as_ref(),
            Some(&s.replaced_by),
            s.replaced_by_record.as_ref(),
        ];
        for (c, cell) in cells.iter().enumerate() {
            if let Some(text) = cell {
                sup.write_string(r, c as u16, fit_cell(text))?;
            }
        }
    }
    let sup_columns: Vec<TableColumn> = sup_headers.iter().map(|h| TableColumn::new().set_header(*h)).collect();
    sup.add_table(
        0,
        0,
        summary.superseded_returns.len().max(1) as u32,
        sup_headers.len() as u16 - 1,
        &Table::new().set_columns(&sup_columns),
    )?;
    for c in 0..sup_headers.len() as u16 {
        sup.set_column_width(c, 26)?;
    }

    let counts = wb.add_worksheet().set_name("汇总 Summary")?;
    counts.set_column_width(0, 30)?;
    let rows: [(&str, u64); 5] = [
        ("收到 Received", summary.received),
        ("接受 Accepted", summary.accepted),
        ("拒收 Rejected", summary.rejected),
        ("被替代 Superseded", summary.superseded),
        ("警告 Warnings", summary.warnings),
    ];
    counts.write_string_with_format(
        0,
        0,
        format!("{} v{}", summary.definition.survey, summary.definition.version),
        &bold,
    )?;
    for (i, (k, v)) in rows.iter().enumerate() {
        counts.write_string(i as u32 + 2, 0, *k)?;
        counts.write_number(i as u32 + 2, 1, *v as f64)?;
    }
    let mut r = rows.len() as u32 + 3;
    counts.write_string_with_format(r, 0, "按规则 By rule", &bold)?;
    for (rule, n) in &summary.rejections_by_rule {
        r += 1;
        counts.write_string(r, 0, rule)?;
        counts.write_number(r, 1, *n as f64)?;
    }
    wb.save_to_buffer()
}
