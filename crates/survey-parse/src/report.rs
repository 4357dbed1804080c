//! The ingest reports: `rejects.jsonl` and `rejects.xlsx` (one row per problem) and
//! `ingest.json` (the accounting of every return received).

use crate::rejection::{Rejection, Severity};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Table, TableColumn, Workbook, Worksheet, XlsxError};
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

/// A4 paper (Excel's paper size 9).
const PAPER_A4: u8 = 9;

/// How a sheet of the rejects workbook prints: A4 landscape, one page wide, the header
/// row on every page (`header_row`, when the sheet has one), the survey and the sheet
/// above, "page x of y" below, in both languages as the sheet's headers are.
fn print_setup(sheet: &mut Worksheet, title: &str, header_row: Option<u32>) -> Result<(), XlsxError> {
    sheet.set_paper_size(PAPER_A4);
    sheet.set_landscape();
    sheet.set_print_fit_to_pages(1, 0);
    if let Some(row) = header_row {
        sheet.set_repeat_rows(row, row)?;
    }
    // `&` starts a header code: a title's own ampersands are doubled.
    sheet.set_header(format!("&L{}", title.replace('&', "&&")));
    sheet.set_footer("&C第 &P 页，共 &N 页 Page &P of &N");
    Ok(())
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
    let survey = format!("{} v{}", def.survey().id, def.survey().version);
    print_setup(sheet, &format!("{survey} — 问题 Problems"), Some(0))?;

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
    print_setup(sup, &format!("{survey} — 被替代 Superseded"), Some(0))?;

    let counts = wb.add_worksheet().set_name("汇总 Summary")?;
    counts.set_column_width(0, 30)?;
    print_setup(counts, &format!("{survey} — 汇总 Summary"), None)?;
    counts.set_portrait();
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// The XML of each worksheet part of a workbook, in part order.
    fn sheet_parts(bytes: &[u8]) -> Vec<String> {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut names: Vec<String> = zip
            .file_names()
            .filter_map(|n| n.ok().map(|n| n.into_owned()))
            .filter(|n| n.starts_with("xl/worksheets/sheet"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|n| {
                let mut xml = String::new();
                zip.by_name(n).unwrap().read_to_string(&mut xml).unwrap();
                xml
            })
            .collect()
    }

    #[test]
    fn every_sheet_of_the_rejects_workbook_prints_one_page_wide_with_its_header_rows() {
        let def = survey_def::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../survey-defs/spring-2024.toml"),
        )
        .unwrap();
        let summary = IngestSummary {
            received: 0,
            accepted: 0,
            rejected: 0,
            superseded: 0,
            warnings: 0,
            definition: definition_info(&def),
            rejections_by_rule: Default::default(),
            files: Vec::new(),
            superseded_returns: Vec::new(),
        };
        let bytes = rejects_workbook(&def, &summary, &[]).unwrap();
        let sheets = sheet_parts(&bytes);
        assert_eq!(sheets.len(), 3);
        for (i, xml) in sheets.iter().enumerate() {
            assert!(xml.contains(r#"paperSize="9""#), "sheet {i}: {xml}");
            assert!(xml.contains(r#"<pageSetUpPr fitToPage="1"/>"#), "sheet {i}");
            assert!(xml.contains(r#"fitToHeight="0""#), "sheet {i}");
            let orientation = if i == 2 { "portrait" } else { "landscape" };
            assert!(xml.contains(&format!(r#"orientation="{orientation}""#)), "sheet {i}");
            assert!(
                xml.contains("<oddHeader>&amp;Lyangpu-spring-2024 v1.0.0 — "),
                "sheet {i}"
            );
            assert!(xml.contains("Page &amp;P of &amp;N</oddFooter>"), "sheet {i}");
        }
        // The problems and superseded sheets repeat their header row on every page.
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes[..])).unwrap();
        let mut workbook = String::new();
        zip.by_name("xl/workbook.xml")
            .unwrap()
            .read_to_string(&mut workbook)
            .unwrap();
        assert_eq!(workbook.matches("_xlnm.Print_Titles").count(), 2, "{workbook}");
    }
}
