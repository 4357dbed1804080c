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
use survey_def::model::QuestionSpec;
use survey_def::{Definition, Lang, Question, QuestionType};

/// Pattern of a unified social credit code: 18 symbols of the 31-symbol set, either case,
/// surrounding spaces allowed (the check digit is verified at ingest).
const USCC_PATTERN: &str = r"^\s*[0-9A-HJ-NP-RTUWXYa-hj-np-rtuwxy]{18}\s*$";
/// Pattern of a GB/T 6565 occupation code at any depth.
const OCCUPATION_PATTERN: &str = r"^\s*[1-8](-[0-9]{2}){0,3}\s*$";
/// Pattern of an ISO date.
const DATE_PATTERN: &str = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$";

/// Builds the JSON Schema of a JSON return of `def`, with titles in `lang`.
pub fn json_schema(def: &Definition, lang: Lang) -> Value {
    let survey = &def.spec.survey;
    let mut answers = Map::new();
    let mut required = Vec::new();
    for q in def.questions() {
        if !q.is_asked() {
            continue;
        }
        answers.insert(q.id().to_owned(), question_schema(def, q, lang));
        // A question with skip logic may rightly be absent: only unconditional ones are
        // required here.
        if q.spec.required && q.relevant.is_none() {
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

fn question_schema(def: &Definition, q: &Question, lang: Lang) -> Value {
    let mut schema = match q.kind() {
        QuestionType::Table => {
            let mut props = Map::new();
            let mut required = Vec::new();
            for col in q.columns.iter().filter(|c| c.is_asked()) {
                props.insert(col.id().to_owned(), value_schema(def, &col.spec, lang));
                if col.spec.required && col.relevant.is_none() {
                    required.push(Value::from(col.id()));
                }
            }
            let mut table = json!({
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": required,
                    "properties": props,
                }
            });
            if let Some(max) = q.spec.max_rows {
                table["maxItems"] = json!(max);
            }
            table
        }
        _ => value_schema(def, &q.spec, lang),
    };
    if let Value::Object(map) = &mut schema
        && q.kind() == QuestionType::Table
    {
        map.insert("title".into(), json!(q.spec.label.get(lang)));
    }
    schema
}

/// The schema of one answer: its type and what can be said statically about it, plus
/// `null` for an unanswered question.
fn value_schema(def: &Definition, q: &QuestionSpec, lang: Lang) -> Value {
    let mut s = match q.kind {
        QuestionType::Integer => json!({ "type": ["integer", "null"] }),
        QuestionType::Decimal => json!({ "type": ["number", "null"] }),
        QuestionType::Text => json!({ "type": ["string", "null"] }),
        QuestionType::Boolean => json!({ "type": ["boolean", "null"] }),
        QuestionType::Date => json!({ "type": ["string", "null"], "format": "date", "pattern": DATE_PATTERN }),
        QuestionType::EnterpriseId => json!({ "type": ["string", "null"], "pattern": USCC_PATTERN }),
        QuestionType::OccupationCode => json!({ "type": ["string", "null"], "pattern": OCCUPATION_PATTERN }),
        QuestionType::IndustryCode => {
            let mut codes: Vec<Value> = INDUSTRY_DIVISIONS.iter().map(|d| json!(d.code)).collect();
            codes.push(Value::Null);
            json!({ "enum": codes })
        }
        QuestionType::SingleChoice | QuestionType::Subdistrict => {
            let mut codes: Vec<Value> = def
                .choices_of(q)
                .map(|l| l.options.iter().map(|o| json!(o.code)).collect())
                .unwrap_or_default();
            codes.push(Value::Null);
            json!({ "enum": codes })
        }
        QuestionType::MultipleChoice => {
            let codes: Vec<Value> = def
                .choices_of(q)
                .map(|l| l.options.iter().map(|o| json!(o.code)).collect())
                .unwrap_or_default();
            json!({ "type": ["array", "null"], "uniqueItems": true, "items": { "enum": codes } })
        }
        QuestionType::Table => json!({}),
    };
    if let Some(min) = q.min {
        s["minimum"] = json!(min);
    }
    if let Some(max) = q.max {
        s["maximum"] = json!(max);
    }
    if let Some(len) = q.max_length {
        s["maxLength"] = json!(len);
    }
    s["title"] = json!(q.label.get(lang));
    if let Some(help) = &q.help {
        s["description"] = json!(help.get(lang));
    }
    s
}
