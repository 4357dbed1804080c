//! The Excel template enterprises fill in.

use crate::layout::{self, meta};
use rust_xlsxwriter::{
    Color, DataValidation, DataValidationRule, DocProperties, ExcelDateTime, Format, FormatBorder, Formula,
    ProtectionOptions, Workbook, Worksheet, XlsxError,
};
use std::collections::BTreeMap;
use survey_def::codes::INDUSTRY_DIVISIONS;
use survey_def::{Definition, Lang, Question, QuestionKind};
use survey_files::excel::sheet_name;

/// Why a template could not be written.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The workbook library refused a value (a sheet name, a validation).
    #[error("cannot build the template workbook: {0}")]
    Workbook(#[from] XlsxError),
}

/// Excel's limit on a data-validation input title, in UTF-16 units.
const INPUT_TITLE_LIMIT: usize = 32;
/// Excel's limit on a data-validation input message, in UTF-16 units.
const INPUT_MESSAGE_LIMIT: usize = 255;
/// Excel's limit on a sheet name.
/// Longest text Excel keeps in a cell.
const EXCEL_TEXT_LIMIT: u32 = survey_files::excel::CELL_TEXT_LIMIT as u32;
/// Dates accepted by the date validation: anything a return could plausibly carry.
const EARLIEST_DATE: (u16, u8, u8) = (1950, 1, 1);
const LATEST_DATE: (u16, u8, u8) = (2100, 12, 31);
/// Key of the industry list in the lists sheet (choice list ids are identifiers, so it
/// cannot clash).
const INDUSTRY_LIST: &str = "gb/t 4754";
const BOOLEAN_LIST: &str = "yes/no";

struct Formats {
    title: Format,
    header: Format,
    section: Format,
    id: Format,
    label: Format,
    help: Format,
    answer: Format,
    answer_date: Format,
    /// An answer cell that holds a code or text: formatted as text, so Excel keeps an
    /// all-digit credit code or a phone number as typed instead of turning it into a
    /// rounded number.
    answer_text: Format,
    /// The skip-logic sentence beside a question.
    condition: Format,
    note: Format,
}

impl Formats {
    fn new() -> Self {
        let answer = Format::new()
            .set_unlocked()
            .set_background_color(Color::RGB(0xFFF8DC))
            .set_border(FormatBorder::Thin)
            .set_border_color(Color::RGB(0xBFBFBF));
        Formats {
            title: Format::new().set_bold().set_font_size(14),
            header: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0xD9E1F2))
                .set_border(FormatBorder::Thin)
                .set_text_wrap(),
            section: Format::new().set_bold().set_background_color(Color::RGB(0xEDEDED)),
            id: Format::new().set_font_color(Color::RGB(0x808080)).set_font_size(9),
            label: Format::new().set_text_wrap(),
            help: Format::new()
                .set_text_wrap()
                .set_font_color(Color::RGB(0x595959))
                .set_font_size(9),
            answer_date: answer.clone().set_num_format("yyyy-mm-dd"),
            // Built-in format 49, Excel's own "Text".
            answer_text: answer.clone().set_num_format_index(49),
            answer,
            condition: Format::new()
                .set_text_wrap()
                .set_italic()
                .set_font_color(Color::RGB(0x9C5700))
                .set_font_size(9),
            note: Format::new().set_text_wrap(),
        }
    }
}

/// Cuts `text` to at most `limit` UTF-16 units, marking the cut with an ellipsis.
fn fit(text: &str, limit: usize) -> String {
    if text.encode_utf16().count() <= limit {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        if used + c.len_utf16() > limit - 1 {
            break;
        }
        used += c.len_utf16();
        out.push(c);
    }
    out.push('…');
    out
}

/// Dropdown lists written to the hidden lists sheet, by key.
struct Lists {
    columns: BTreeMap<String, (u16, usize)>,
    sheet: Worksheet,
}

impl Lists {
    fn new() -> Result<Self, XlsxError> {
        let mut sheet = Worksheet::new();
        sheet.set_name(layout::LISTS_SHEET)?;
        sheet.set_hidden(true);
        Ok(Lists {
            columns: BTreeMap::new(),
            sheet,
        })
    }

    /// The range formula of list `key`, writing its entries on first use.
    fn range(&mut self, key: &str, entries: impl FnOnce() -> Vec<String>) -> Result<Formula, XlsxError> {
        if !self.columns.contains_key(key) {
            let col = self.columns.len() as u16;
            let entries = entries();
            for (row, entry) in entries.iter().enumerate() {
                self.sheet.write_string(row as u32, col, entry)?;
            }
            self.columns.insert(key.to_owned(), (col, entries.len().max(1)));
        }
        let (col, len) = self.columns[key];
        let letter = rust_xlsxwriter::utility::column_number_to_name(col);
        Ok(Formula::new(format!(
            "='{}'!${letter}$1:${letter}${len}",
            layout::LISTS_SHEET
        )))
    }
}

/// A value placed in an answer cell of a filled questionnaire.
#[derive(Debug, Clone, PartialEq)]
pub enum CellValue {
    /// A number cell.
    Number(f64),
    /// A text cell, written as given (a choice may be `label [code]`, a bare code, or
    /// anything a respondent might type).
    Text(String),
    /// Written as the yes/no word of the workbook's language.
    Bool(bool),
    /// A date cell (year, month, day), formatted `yyyy-mm-dd`.
    Date(u16, u8, u8),
}

/// Answers to put into a questionnaire: by question id (a multiple-choice option by
/// `question:code`, see [`layout::OPTION_SEPARATOR`]) and, for repeating tables, rows of
/// cells by column id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FilledAnswers {
    /// Answers on the answer sheet.
    pub answers: BTreeMap<String, CellValue>,
    /// Rows of each repeating table.
    pub tables: BTreeMap<String, Vec<BTreeMap<String, CellValue>>>,
}

/// Writes the blank questionnaire for `def` with labels in `lang`, returning the bytes
/// of the `.xlsx` file. The same definition and language always give the same bytes.
pub fn write_template(def: &Definition, lang: Lang) -> Result<Vec<u8>, TemplateError> {
    write_filled(def, lang, &FilledAnswers::default())
}

/// Writes the questionnaire with `filled` answers in its answer cells: what an
/// enterprise sends back. Used for examples, generated sample returns and tests.
pub fn write_filled(def: &Definition, lang: Lang, filled: &FilledAnswers) -> Result<Vec<u8>, TemplateError> {
    let f = Formats::new();
    let survey = def.survey();
    let mut workbook = Workbook::new();
    let (y, m, d) = date_parts(&survey.period_start).unwrap_or((2000, 1, 1));
    workbook.set_properties(
        &DocProperties::new()
            .set_title(survey.title.get(lang))
            .set_subject(format!("{} {}", survey.id, survey.version))
            .set_author(survey.organisation.as_ref().map_or("", |o| o.get(lang)))
            .set_comment(format!("fingerprint {}", def.fingerprint))
            // Fixed, so the same definition always gives the same bytes.
            .set_creation_datetime(&ExcelDateTime::from_ymd(y, m, d)?),
    );
    let mut taken = vec![
        layout::META_SHEET.to_owned(),
        layout::LISTS_SHEET.to_owned(),
        survey_files::excel::RESERVED_SHEET_NAME.to_owned(),
    ];
    let cover_name = sheet_name(layout::cover_sheet_name(lang), &mut taken);
    let answer_name = sheet_name(layout::answer_sheet_name(lang), &mut taken);
    let table_names: Vec<(String, String)> = def
        .tables()
        .map(|t| (t.id().to_owned(), sheet_name(t.label.get(lang), &mut taken)))
        .collect();

    let mut lists = Lists::new()?;
    let cover = cover_sheet(def, lang, &f, &cover_name, &answer_name, &table_names)?;
    let answers = answer_sheet(def, lang, &f, &answer_name, &mut lists, filled)?;
    let mut tables = Vec::new();
    for (table, (_, name)) in def.tables().zip(&table_names) {
        tables.push(table_sheet(
            def,
            table,
            lang,
            &f,
            name,
            &mut lists,
            filled.tables.get(table.id()),
        )?);
    }
    let meta_sheet = meta_sheet(def, lang, &answer_name, &table_names)?;

    workbook.push_worksheet(cover);
    workbook.push_worksheet(answers);
    for t in tables {
        workbook.push_worksheet(t);
    }
    workbook.push_worksheet(lists.sheet);
    workbook.push_worksheet(meta_sheet);
    Ok(workbook.save_to_buffer()?)
}

fn date_parts(text: &str) -> Option<(u16, u8, u8)> {
    let mut it = text.trim().splitn(3, '-');
    Some((
        it.next()?.parse().ok()?,
        it.next()?.parse().ok()?,
        it.next()?.parse().ok()?,
    ))
}

fn protect(sheet: &mut Worksheet) {
    // No password: protection keeps respondents from overwriting labels and ids by
    // accident, it is not security.
    let options = ProtectionOptions {
        format_columns: true,
        format_rows: true,
        ..ProtectionOptions::default()
    };
    sheet.protect_with_options(&options);
}

fn cover_sheet(
    def: &Definition,
    lang: Lang,
    f: &Formats,
    name: &str,
    answer_name: &str,
    tables: &[(String, String)],
) -> Result<Worksheet, XlsxError> {
    let survey = def.survey();
    let mut sheet = Worksheet::new();
    sheet.set_name(name)?;
    sheet.set_column_width(0, 22)?;
    sheet.set_column_width(1, 90)?;
    sheet.write_string_with_format(0, 0, survey.title.get(lang), &f.title)?;
    let zh = lang == Lang::Zh;
    let mut rows: Vec<(&str, String)> = Vec::new();
    if let Some(org) = &survey.organisation {
        rows.push((if zh { "调查单位" } else { "Conducted by" }, org.get(lang).to_owned()));
    }
    rows.push((
        if zh { "调查期" } else { "Survey period" },
        format!("{} – {}", survey.period_start, survey.period_end),
    ));
    rows.push((
        if zh { "问卷编号" } else { "Survey" },
        format!("{} v{}", survey.id, survey.version),
    ));
    rows.push((
        if zh { "定义指纹" } else { "Definition fingerprint" },
        def.short_fingerprint().to_owned(),
    ));
    if let Some(instructions) = &survey.instructions {
        rows.push((
            if zh { "填表说明" } else { "Instructions" },
            instructions.get(lang).to_owned(),
        ));
    }
    let how = if zh {
        format!(
            "请在“{answer_name}”表的黄色单元格中作答。带 * 的题目必答；注明“仅当……时作答”的题目只在条件成立时作答，条件不成立请留空（带 * 的在条件成立时必答）。选择题请从下拉列表中选择。{}不要修改题目编号（灰色列）或删除工作表。",
            if tables.is_empty() {
                String::new()
            } else {
                format!(
                    "“{}”表每行填写一项。",
                    tables.iter().map(|t| t.1.as_str()).collect::<Vec<_>>().join("”、“")
                )
            }
        )
    } else {
        format!(
            "Answer in the yellow cells of sheet \"{answer_name}\". Questions marked * are required when asked: a question noted \"Answer only if ...\" is asked only when that holds; otherwise leave it blank. Pick choices from the dropdown lists. {}Do not change the question ids (grey column) or delete sheets.",
            if tables.is_empty() {
                String::new()
            } else {
                format!(
                    "Fill one item per row on sheet(s) {}. ",
                    tables
                        .iter()
                        .map(|t| format!("\"{}\"", t.1))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        )
    };
    rows.push((if zh { "如何填写" } else { "How to fill in" }, how));
    for (i, (k, v)) in rows.iter().enumerate() {
        let row = 2 + i as u32;
        sheet.write_string_with_format(row, 0, *k, &f.header)?;
        sheet.write_string_with_format(row, 1, v, &f.note)?;
    }
    print_setup(&mut sheet, survey.title.get(lang), lang, false, None, true)?;
    protect(&mut sheet);
    sheet.set_active(true);
    Ok(sheet)
}

/// The validation of an answer cell, with the help text as its input message.
fn validation(q: &Question, lang: Lang, lists: &mut Lists) -> Result<DataValidation, XlsxError> {
    let v = DataValidation::new();
    let v = match &q.kind {
        QuestionKind::Integer(n) => {
            let min = n.min.map_or(i32::MIN, |m| m.max(i32::MIN as f64) as i32);
            let max = n.max.map_or(i32::MAX, |m| m.min(i32::MAX as f64) as i32);
            v.allow_whole_number(DataValidationRule::Between(min, max))
        }
        QuestionKind::Decimal(n) => v.allow_decimal_number(DataValidationRule::Between(
            n.min.unwrap_or(-1e15),
            n.max.unwrap_or(1e15),
        )),
        QuestionKind::Text { max_length } => {
            v.allow_text_length(DataValidationRule::Between(0, max_length.unwrap_or(EXCEL_TEXT_LIMIT)))
        }
        QuestionKind::EnterpriseId => v.allow_text_length(DataValidationRule::EqualTo(18)),
        QuestionKind::OccupationCode => v.allow_text_length(DataValidationRule::Between(1, 10)),
        QuestionKind::Date => {
            let (a, b) = (EARLIEST_DATE, LATEST_DATE);
            v.allow_date(DataValidationRule::Between(
                ExcelDateTime::from_ymd(a.0, a.1, a.2)?,
                ExcelDateTime::from_ymd(b.0, b.1, b.2)?,
            ))
        }
        QuestionKind::Boolean | QuestionKind::MultipleChoice(_) => {
            v.allow_list_formula(lists.range(&format!("{BOOLEAN_LIST}/{lang:?}"), || {
                layout::yes_no(lang).map(str::to_owned).to_vec()
            })?)
        }
        QuestionKind::SingleChoice(choices) | QuestionKind::Subdistrict(choices) => {
            v.allow_list_formula(lists.range(&format!("{}/{lang:?}", choices.list), || {
                choices
                    .options
                    .iter()
                    .map(|o| layout::choice_entry(o.label.get(lang), &o.code))
                    .collect()
            })?)
        }
        QuestionKind::IndustryCode => {
            v.allow_list_formula(lists.range(&format!("{INDUSTRY_LIST}/{lang:?}"), || {
                INDUSTRY_DIVISIONS
                    .iter()
                    .map(|d| layout::choice_entry(if lang == Lang::Zh { d.zh } else { d.en }, d.code))
                    .collect()
            })?)
        }
        QuestionKind::Table(_) => return Ok(v),
    };
    let v = v.set_input_title(fit(q.label.get(lang), INPUT_TITLE_LIMIT))?;
    let message = q.help.as_ref().map(|h| h.get(lang).to_owned()).unwrap_or_default();
    let v = if message.is_empty() {
        v
    } else {
        v.set_input_message(fit(&message, INPUT_MESSAGE_LIMIT))?
    };
    v.set_error_title(fit(q.label.get(lang), INPUT_TITLE_LIMIT))
}

fn label_text(q: &Question, lang: Lang) -> String {
    let mark = if q.required { "* " } else { "" };
    format!("{mark}{}", q.label.get(lang))
}

fn answer_sheet(
    def: &Definition,
    lang: Lang,
    f: &Formats,
    name: &str,
    lists: &mut Lists,
    filled: &FilledAnswers,
) -> Result<Worksheet, XlsxError> {
    let mut sheet = Worksheet::new();
    sheet.set_name(name)?;
    let zh = lang == Lang::Zh;
    sheet.write_string_with_format(0, 0, def.survey().title.get(lang), &f.title)?;
    let headers = if zh {
        ["题目编号", "题目", "说明", "单位", "回答"]
    } else {
        ["Question id", "Question", "Help", "Unit", "Answer"]
    };
    for (col, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(1, col as u16, *h, &f.header)?;
    }
    for (col, width) in [
        (layout::ANSWER_ID_COL, 18.0),
        (layout::ANSWER_LABEL_COL, 48.0),
        (layout::ANSWER_HELP_COL, 40.0),
        (layout::ANSWER_UNIT_COL, 9.0),
        (layout::ANSWER_VALUE_COL, 30.0),
    ] {
        sheet.set_column_width(col, width)?;
    }
    sheet.set_freeze_panes(layout::ANSWER_FIRST_ROW, 0)?;
    let mut row = layout::ANSWER_FIRST_ROW;
    for section in def.sections() {
        let asked: Vec<&Question> = def
            .questions()
            .iter()
            .filter(|q| q.section == section.id && q.is_asked() && q.kind.table().is_none())
            .collect();
        if asked.is_empty() {
            continue;
        }
        sheet.write_string_with_format(row, layout::ANSWER_LABEL_COL, section.title.get(lang), &f.section)?;
        row += 1;
        for q in asked {
            let spec = q;
            sheet.write_string_with_format(row, layout::ANSWER_ID_COL, &spec.id, &f.id)?;
            sheet.write_string_with_format(row, layout::ANSWER_LABEL_COL, label_text(spec, lang), &f.label)?;
            match (&spec.relevant, &spec.help) {
                // The condition first, in words: a respondent skips the question on it.
                (Some(condition), help) => {
                    let mut text = crate::words::answer_only_if(condition, def, None, lang);
                    text.push_str(if zh { "。" } else { "." });
                    if let Some(help) = help {
                        text.push('\n');
                        text.push_str(help.get(lang));
                    }
                    sheet.write_string_with_format(row, layout::ANSWER_HELP_COL, text, &f.condition)?;
                }
                (None, Some(help)) => {
                    sheet.write_string_with_format(row, layout::ANSWER_HELP_COL, help.get(lang), &f.help)?;
                }
                (None, None) => {}
            }
            if let Some(unit) = spec.unit() {
                sheet.write_string(row, layout::ANSWER_UNIT_COL, unit.label(lang))?;
            }
            if let QuestionKind::MultipleChoice(choices) = &spec.kind {
                // One yes/no row per option: a dropdown cannot hold several choices.
                let tick = if zh {
                    "（请在以下各项中选择是/否）"
                } else {
                    "(answer yes/no for each option below)"
                };
                sheet.write_string_with_format(row, layout::ANSWER_VALUE_COL, tick, &f.help)?;
                row += 1;
                let validation = validation(spec, lang, lists)?;
                for option in &choices.options {
                    let id = format!("{}{}{}", spec.id, layout::OPTION_SEPARATOR, option.code);
                    sheet.write_string_with_format(row, layout::ANSWER_ID_COL, &id, &f.id)?;
                    sheet.write_string_with_format(
                        row,
                        layout::ANSWER_LABEL_COL,
                        format!("    {}", option.label.get(lang)),
                        &f.label,
                    )?;
                    write_cell(
                        &mut sheet,
                        row,
                        layout::ANSWER_VALUE_COL,
                        filled.answers.get(&id),
                        lang,
                        f,
                        CellKind::Text,
                    )?;
                    sheet.add_data_validation(
                        row,
                        layout::ANSWER_VALUE_COL,
                        row,
                        layout::ANSWER_VALUE_COL,
                        &validation,
                    )?;
                    row += 1;
                }
                continue;
            }
            write_cell(
                &mut sheet,
                row,
                layout::ANSWER_VALUE_COL,
                filled.answers.get(&spec.id),
                lang,
                f,
                CellKind::of(&spec.kind),
            )?;
            let validation = validation(spec, lang, lists)?;
            sheet.add_data_validation(
                row,
                layout::ANSWER_VALUE_COL,
                row,
                layout::ANSWER_VALUE_COL,
                &validation,
            )?;
            row += 1;
        }
    }
    print_setup(
        &mut sheet,
        def.survey().title.get(lang),
        lang,
        true,
        Some((1, 1)),
        false,
    )?;
    protect(&mut sheet);
    Ok(sheet)
}

/// Rows a table sheet offers when the definition sets no `max_rows`.
const DEFAULT_TABLE_ROWS: u32 = 30;

fn table_sheet(
    def: &Definition,
    table: &Question,
    lang: Lang,
    f: &Formats,
    name: &str,
    lists: &mut Lists,
    filled: Option<&Vec<BTreeMap<String, CellValue>>>,
) -> Result<Worksheet, XlsxError> {
    let mut sheet = Worksheet::new();
    sheet.set_name(name)?;
    let title = match &table.help {
        Some(help) => format!("{} — {}", table.label.get(lang), help.get(lang)),
        None => table.label.get(lang).to_owned(),
    };
    sheet.write_string_with_format(0, 0, title, &f.title)?;
    let columns: Vec<&Question> = table.columns().iter().filter(|c| c.is_asked()).collect();
    let rows = table
        .kind
        .table()
        .and_then(|t| t.max_rows)
        .unwrap_or(DEFAULT_TABLE_ROWS);
    for (i, col) in columns.iter().enumerate() {
        let c = i as u16;
        let spec = *col;
        let mut label = match spec.unit() {
            Some(unit) => format!("{} ({})", label_text(spec, lang), unit.label(lang)),
            None => label_text(spec, lang),
        };
        if let Some(condition) = &spec.relevant {
            label.push('\n');
            label.push_str(&crate::words::answer_only_if(condition, def, Some(table), lang));
        }
        sheet.write_string_with_format(layout::TABLE_LABEL_ROW, c, label, &f.header)?;
        sheet.write_string_with_format(layout::TABLE_ID_ROW, c, &spec.id, &f.id)?;
        sheet.set_column_width(c, 20)?;
        let kind = CellKind::of(&spec.kind);
        let filled_rows = filled.map_or(0, |rows| rows.len() as u32);
        let last = layout::TABLE_FIRST_ROW + rows.max(filled_rows) - 1;
        for r in layout::TABLE_FIRST_ROW..=last {
            let value = filled
                .and_then(|rows| rows.get((r - layout::TABLE_FIRST_ROW) as usize))
                .and_then(|row| row.get(&spec.id));
            write_cell(&mut sheet, r, c, value, lang, f, kind)?;
        }
        let validation = validation(spec, lang, lists)?;
        sheet.add_data_validation(layout::TABLE_FIRST_ROW, c, last, c, &validation)?;
    }
    // Room for a column's condition under its label.
    let conditional = columns.iter().any(|c| c.relevant.is_some());
    sheet.set_row_height(layout::TABLE_LABEL_ROW, if conditional { 90 } else { 45 })?;
    sheet.set_freeze_panes(layout::TABLE_FIRST_ROW, 0)?;
    print_setup(
        &mut sheet,
        &format!("{} — {}", def.survey().title.get(lang), table.label.get(lang)),
        lang,
        true,
        Some((layout::TABLE_LABEL_ROW, layout::TABLE_ID_ROW)),
        false,
    )?;
    protect(&mut sheet);
    Ok(sheet)
}

/// How an answer cell is formatted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CellKind {
    /// A number.
    Number,
    /// A date, shown `yyyy-mm-dd`.
    Date,
    /// Text, a code or a choice: stored as typed.
    Text,
}

impl CellKind {
    fn of(kind: &QuestionKind) -> CellKind {
        match kind {
            QuestionKind::Integer(_) | QuestionKind::Decimal(_) | QuestionKind::Table(_) => CellKind::Number,
            QuestionKind::Date => CellKind::Date,
            QuestionKind::Text { .. }
            | QuestionKind::Boolean
            | QuestionKind::SingleChoice(_)
            | QuestionKind::MultipleChoice(_)
            | QuestionKind::EnterpriseId
            | QuestionKind::IndustryCode
            | QuestionKind::OccupationCode
            | QuestionKind::Subdistrict(_) => CellKind::Text,
        }
    }
}

/// A4 paper (Excel's paper size 9).
const PAPER_A4: u8 = 9;

/// How a sheet prints: A4, one page wide (columns never spill onto a page of their own,
/// so an answer box prints beside its question), the header rows on every page, the
/// survey's title above and "page x of y" below.
fn print_setup(
    sheet: &mut Worksheet,
    title: &str,
    lang: Lang,
    landscape: bool,
    repeat_rows: Option<(u32, u32)>,
    one_page: bool,
) -> Result<(), XlsxError> {
    sheet.set_paper_size(PAPER_A4);
    if landscape {
        sheet.set_landscape();
    } else {
        sheet.set_portrait();
    }
    sheet.set_print_fit_to_pages(1, u16::from(one_page));
    if let Some((first, last)) = repeat_rows {
        sheet.set_repeat_rows(first, last)?;
    }
    // `&` starts a header code: a title's own ampersands are doubled.
    sheet.set_header(format!("&L{}", title.replace('&', "&&")));
    sheet.set_footer(match lang {
        Lang::Zh => "&C第 &P 页，共 &N 页",
        Lang::En => "&CPage &P of &N",
    });
    Ok(())
}

/// Writes an answer cell: the value when there is one, else a blank in the answer style.
fn write_cell(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    value: Option<&CellValue>,
    lang: Lang,
    f: &Formats,
    kind: CellKind,
) -> Result<(), XlsxError> {
    let format = match kind {
        CellKind::Number => &f.answer,
        CellKind::Date => &f.answer_date,
        CellKind::Text => &f.answer_text,
    };
    match value {
        None => sheet.write_blank(row, col, format)?,
        Some(CellValue::Number(n)) => sheet.write_number_with_format(row, col, *n, format)?,
        Some(CellValue::Text(t)) => sheet.write_string_with_format(row, col, t, format)?,
        Some(CellValue::Bool(b)) => {
            sheet.write_string_with_format(row, col, layout::yes_no(lang)[usize::from(!b)], format)?
        }
        Some(CellValue::Date(y, m, d)) => {
            sheet.write_datetime_with_format(row, col, ExcelDateTime::from_ymd(*y, *m, *d)?, &f.answer_date)?
        }
    };
    Ok(())
}

fn meta_sheet(
    def: &Definition,
    lang: Lang,
    answer_name: &str,
    tables: &[(String, String)],
) -> Result<Worksheet, XlsxError> {
    let mut sheet = Worksheet::new();
    sheet.set_name(layout::META_SHEET)?;
    let survey = def.survey();
    let lang_code = if lang == Lang::Zh { "zh" } else { "en" };
    let mut rows: Vec<(String, String)> = vec![
        (meta::SURVEY_ID.into(), survey.id.clone()),
        (meta::VERSION.into(), survey.version.clone()),
        (meta::FINGERPRINT.into(), def.fingerprint.clone()),
        (meta::LAYOUT.into(), layout::LAYOUT_VERSION.into()),
        (meta::LANG.into(), lang_code.into()),
        (meta::ANSWER_SHEET.into(), answer_name.into()),
    ];
    rows.extend(
        tables
            .iter()
            .map(|(id, name)| (format!("{}{id}", meta::TABLE_PREFIX), name.clone())),
    );
    for (i, (k, v)) in rows.iter().enumerate() {
        sheet.write_string(i as u32, 0, k)?;
        sheet.write_string(i as u32, 1, v)?;
    }
    // Very hidden: not listed under Unhide, so respondents do not stumble on it.
    sheet.set_very_hidden(true);
    protect(&mut sheet);
    Ok(sheet)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_are_cut_to_excel_limits_on_char_boundaries() {
        let long = "需要".repeat(200);
        let cut = fit(&long, INPUT_MESSAGE_LIMIT);
        assert_eq!(cut.encode_utf16().count(), INPUT_MESSAGE_LIMIT);
        assert!(cut.ends_with('…'));
        assert_eq!(fit("short", 32), "short");
    }
}
