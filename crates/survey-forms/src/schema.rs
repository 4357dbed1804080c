//! The JSON Schema (draft 2020-12) of a JSON return.
//!
//! A JSON return is one object:
//!
//! ```json
//! {
//!   "survey": "yangpu-spring-2024",
//!   "version": "1.0.0",
//!   "submitted_at": "2024-02-20T10:00:00+08:00",
//!   "answers": { "uscc": "91310110MA1G800001", "vacancies": [ { "occupation": "2-02-10-03" } ] }
//! }
//! ```
//!
//! `answers` holds one property per question (a repeating table is an array of row
//! objects). Unanswered questions are omitted or `null`. What the schema cannot say
//! (skip logic, cross-field constraints, check digits) is checked at ingest.

use serde_json::{Map, Value, json};
use survey_def::codes::INDUSTRY_DIVISIONS;
use survey_def::{Choices, Definition, Lang, Question, QuestionKind};

/// Pattern of a unified social credit code: 18 symbols of the 31-symbol set, either case,
/// surrounding spaces allowed (the check digit is verified at ingest).
const USCC_PATTERN: &str = r"^\s*[0-9A-HJ-NP-RTUWXYa-hj-np-rtuwxy]{18}\s*$";
/// Pattern of a GB/T 6565 occupation code at any depth.
const OCCUPATION_PATTERN: &str = r"^\s*[1-8](-[0-9]{2}){0,3}\s*$";
/// Pattern of an ISO date.
const DATE_PATTERN: &str = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$";

/// Builds the JSON Schema of a JSON return of `def`, with titles in `lang`.
pub fn json_schema(def: &Definition, lang: Lang) -> Value {
    let survey = def.survey();
    let mut answers = Map::new();
    let mut required = Vec::new();
    for q in def.questions() {
        if !q.is_asked() {
            continue;
        }
        answers.insert(q.id().to_owned(), question_schema(q, lang));
        // A question with skip logic may rightly be absent: only unconditional ones are
        // required here.
        if q.required && q.relevant.is_none() {
            required.push(Value::from(q.id()));
        }
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("urn:labor-survey:{}:{}", survey.id, survey.version),
        "title": survey.title.get(lang),
        "description": format!("{} v{} (definition {})", survey.id, survey.version, def.short_fingerprint()),
        "type": "object",
        "required": ["survey", "version", "answers"],
        "additionalProperties": false,
        "properties": {
            "survey": { "const": survey.id },
            "version": { "const": survey.version },
            "fingerprint": { "type": "string", "pattern": "^[0-9a-f]{16,64}$" },
            "submitted_at": { "type": "string", "format": "date-time" },
            "answers": {
                "type": "object",
                "additionalProperties": false,
                "required": required,
                "properties": answers,
            }
        }
    })
}

fn question_schema(q: &Question, lang: Lang) -> Value {
    let QuestionKind::Table(table) = &q.kind else {
        return value_schema(q, lang);
    };
    let mut props = Map::new();
    let mut required = Vec::new();
    for col in table.columns.iter().filter(|c| c.is_asked()) {
        props.insert(col.id().to_owned(), value_schema(col, lang));
        if col.required && col.relevant.is_none() {
            required.push(Value::from(col.id()));
        }
    }
    let mut schema = json!({
        "type": "array",
        "items": {
            "type": "object",
            "additionalProperties": false,
            "required": required,
            "properties": props,
        }
    });
    if let Some(max) = table.max_rows {
        schema["maxItems"] = json!(max);
    }
    schema["title"] = json!(q.label.get(lang));
    schema
}

fn codes(choices: &Choices) -> Vec<Value> {
    choices.options.iter().map(|o| json!(o.code)).collect()
}

/// The schema of one answer: its type and what can be said statically about it, plus
/// `null` for an unanswered question.
fn value_schema(q: &Question, lang: Lang) -> Value {
    let mut s = match &q.kind {
        QuestionKind::Integer(_) => json!({ "type": ["integer", "null"] }),
        QuestionKind::Decimal(_) => json!({ "type": ["number", "null"] }),
        QuestionKind::Text { .. } => json!({ "type": ["string", "null"] }),
        QuestionKind::Boolean => json!({ "type": ["boolean", "null"] }),
        QuestionKind::Date => json!({ "type": ["string", "null"], "format": "date", "pattern": DATE_PATTERN }),
        QuestionKind::EnterpriseId => json!({ "type": ["string", "null"], "pattern": USCC_PATTERN }),
        QuestionKind::OccupationCode => json!({ "type": ["string", "null"], "pattern": OCCUPATION_PATTERN }),
        QuestionKind::IndustryCode => {
            let mut codes: Vec<Value> = INDUSTRY_DIVISIONS.iter().map(|d| json!(d.code)).collect();
            codes.push(Value::Null);
            json!({ "enum": codes })
        }
        QuestionKind::SingleChoice(choices) | QuestionKind::Subdistrict(choices) => {
            let mut codes = codes(choices);
            codes.push(Value::Null);
            json!({ "enum": codes })
        }
        QuestionKind::MultipleChoice(choices) => {
            json!({ "type": ["array", "null"], "uniqueItems": true, "items": { "enum": codes(choices) } })
        }
        // A table column is never itself a table (the checker refuses nesting).
        QuestionKind::Table(_) => json!({}),
    };
    if let Some(number) = q.kind.number() {
        if let Some(min) = number.min {
            s["minimum"] = json!(min);
        }
        if let Some(max) = number.max {
            s["maximum"] = json!(max);
        }
    }
    if let QuestionKind::Text { max_length: Some(len) } = q.kind {
        s["maxLength"] = json!(len);
    }
    s["title"] = json!(q.label.get(lang));
    if let Some(help) = &q.help {
        s["description"] = json!(help.get(lang));
    }
    s
}
