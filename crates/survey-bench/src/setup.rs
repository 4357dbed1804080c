//! The benchmark's inputs, made before anything is timed: template workbooks from the
//! sample generator, a streamed JSON Lines wave with its frame and previous wave, and the
//! answer-sheet checks the peer readers apply.

use crate::BenchError;
use serde::Serialize;
use std::fs::File;
use std::path::{Path, PathBuf};
use survey_def::{Definition, Lang, QuestionKind};
use survey_forms::layout;

/// Where the inputs are, under the work folder.
#[derive(Debug, Clone)]
pub(crate) struct Inputs {
    /// Folder of template workbooks (`sample/returns/xlsx`).
    pub workbooks: PathBuf,
    /// Template workbooks in it.
    pub workbook_count: usize,
    /// The current wave as JSON Lines.
    pub jsonl: PathBuf,
    /// Its sampling frame.
    pub frame: PathBuf,
    /// Its previous wave as JSON Lines.
    pub previous: PathBuf,
    /// The answer-sheet checks for the peer readers.
    pub checks: PathBuf,
}

impl Inputs {
    /// Where [`prepare`] puts the inputs under `dir`, with `workbook_count` workbooks.
    pub(crate) fn at(dir: &Path, workbook_count: usize) -> Inputs {
        let sample = dir.join("sample");
        let stream = dir.join("stream");
        Inputs {
            workbooks: sample.join("returns").join("xlsx"),
            workbook_count,
            jsonl: stream.join("returns.jsonl"),
            frame: stream.join("frame.csv"),
            previous: stream.join("previous.jsonl"),
            checks: sample.join(CHECKS_FILE),
        }
    }
}

/// File of the answer-sheet checks, beside the returns.
pub(crate) const CHECKS_FILE: &str = "answer-sheet-checks.json";

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BenchError + '_ {
    move |source| BenchError::Io {
        path: path.to_owned(),
        source,
    }
}

fn create(path: &Path) -> Result<File, BenchError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    File::create(path).map_err(io(path))
}

/// Writes every input under `dir`.
pub(crate) fn prepare(
    def: &Definition,
    dir: &Path,
    enterprises: usize,
    jsonl_returns: u64,
    seed: u64,
) -> Result<Inputs, BenchError> {
    let options = survey_sample::SampleOptions {
        enterprises,
        seed,
        // Clean returns only: the bare read must be able to open every workbook.
        flawed_share: 0.0,
        previous_wave: false,
        ..survey_sample::SampleOptions::default()
    };
    survey_sample::generate(def, &options, &dir.join("sample"))?;
    let mut inputs = Inputs::at(dir, 0);
    inputs.workbook_count = crate::stage::workbooks(&inputs.workbooks)?.len();
    survey_sample::write_jsonl_returns(def, jsonl_returns, seed, create(&inputs.jsonl)?)?;
    survey_sample::write_stream_frame(def, jsonl_returns, seed, create(&inputs.frame)?)?;
    survey_sample::write_jsonl_previous(def, jsonl_returns, seed, create(&inputs.previous)?)?;
    let mut text = serde_json::to_string_pretty(&AnswerSheetChecks::of(def))?;
    text.push('\n');
    std::fs::write(&inputs.checks, text).map_err(io(&inputs.checks))?;
    Ok(inputs)
}

/// What a reader outside this program needs to check the answer sheet of a template
/// workbook as the ingest does (types and ranges; not skip logic or constraints).
#[derive(Debug, Serialize)]
pub(crate) struct AnswerSheetChecks {
    survey: String,
    version: String,
    /// Names the answer sheet has, in each language.
    answer_sheets: Vec<&'static str>,
    /// Column of question ids (0-based).
    id_column: u16,
    /// Column of answers (0-based).
    answer_column: u16,
    /// First row holding questions (0-based).
    first_row: u32,
    /// Yes and no words, in each language.
    yes: Vec<&'static str>,
    no: Vec<&'static str>,
    questions: Vec<QuestionCheck>,
}

/// One row of the answer sheet.
#[derive(Debug, Serialize)]
struct QuestionCheck {
    /// Question id, or `question:option` for an option row of a multiple choice.
    id: String,
    /// The type as written in the definition.
    #[serde(rename = "type")]
    kind: &'static str,
    /// Required and never skipped (questions with skip logic may be blank).
    required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_length: Option<u32>,
    /// Codes of a choice list.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    choices: Vec<String>,
}

impl AnswerSheetChecks {
    pub(crate) fn of(def: &Definition) -> Self {
        let mut questions = Vec::new();
        for q in def.questions().iter().filter(|q| q.is_asked()) {
            let codes: Vec<String> = q
                .kind
                .choices()
                .map(|l| l.options.iter().map(|o| o.code.clone()).collect())
                .unwrap_or_default();
            match &q.kind {
                QuestionKind::Table(_) => continue,
                QuestionKind::MultipleChoice(_) => {
                    for code in &codes {
                        questions.push(QuestionCheck {
                            id: format!("{}{}{code}", q.id(), layout::OPTION_SEPARATOR),
                            kind: QuestionKind::Boolean.name(),
                            required: false,
                            min: None,
                            max: None,
                            max_length: None,
                            choices: Vec::new(),
                        });
                    }
                }
                _ => {}
            }
            questions.push(QuestionCheck {
                id: q.id().to_owned(),
                kind: q.kind.name(),
                required: q.required && q.relevant.is_none(),
                min: q.kind.number().and_then(|n| n.min),
                max: q.kind.number().and_then(|n| n.max),
                max_length: match q.kind {
                    QuestionKind::Text { max_length } => max_length,
                    _ => None,
                },
                choices: codes,
            });
        }
        let [yes_zh, no_zh] = layout::yes_no(Lang::Zh);
        let [yes_en, no_en] = layout::yes_no(Lang::En);
        AnswerSheetChecks {
            survey: def.survey().id.clone(),
            version: def.survey().version.clone(),
            answer_sheets: vec![layout::answer_sheet_name(Lang::Zh), layout::answer_sheet_name(Lang::En)],
            id_column: layout::ANSWER_ID_COL,
            answer_column: layout::ANSWER_VALUE_COL,
            first_row: layout::ANSWER_FIRST_ROW,
            yes: vec![yes_zh, yes_en],
            no: vec![no_zh, no_en],
            questions,
        }
    }
}
