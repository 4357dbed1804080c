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
//! objects). Unanswered questions are omitted or `null`; a question required of every
//! return may not be `null`.
//!
//! The schema says what ingest decides wherever JSON Schema can say it: a question that
//! skip logic asks and the definition requires is required when asked (`if`/`then` on
//! the condition, for the conditions a schema can state: a yes/no question, a choice
//! compared with codes, a number compared with a constant, `and`/`or` of those, and a
//! condition reading a question that was itself skipped), and the policy chain
//! (received ⇒ applied ⇒ aware). What it cannot say is checked at ingest only: check
//! characters, cross-field constraints, calendar dates that do not exist, occupation codes
//! of no major group, and conditions on table totals; `tests` in `labor-survey` send edge
//! returns through both and list these exceptions.

use serde_json::{Map, Value, json};
use survey_def::codes::INDUSTRY_DIVISIONS;
use survey_def::expr::{BinOp, Expr, ExprKind};
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
        let mut schema = question_schema(q, lang);
        // A question with skip logic may rightly be absent: only unconditional ones are
        // required of every return (and may not be null); the others when asked, below.
        if q.required && q.relevant.is_none() {
            required.push(Value::from(q.id()));
            not_null(&mut schema);
        }
        answers.insert(q.id().to_owned(), schema);
    }
    let mut rules = Vec::new();
    for q in def.questions().iter().filter(|q| q.is_asked() && q.required) {
        if q.relevant.is_some()
            && let Some(skipped) = not_asked(def, q, 0)
        {
            rules.push(json!({
                "if": { "not": skipped },
                "then": { "required": [q.id()], "properties": { q.id(): { "not": { "type": "null" } } } },
            }));
        }
    }
    for policy in def.policies() {
        for (later, earlier) in [(&policy.received, &policy.applied), (&policy.applied, &policy.aware)] {
            rules.push(json!({
                "if": { "required": [later], "properties": { later: { "const": true } } },
                "then": { "required": [earlier], "properties": { earlier: { "const": true } } },
            }));
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
                "allOf": rules,
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

/// Takes `null` out of an answer's schema: a required answer may not be left null.
fn not_null(schema: &mut Value) {
    if let Some(Value::Array(types)) = schema.get_mut("type") {
        types.retain(|t| t != "null");
    }
    if let Some(Value::Array(codes)) = schema.get_mut("enum") {
        codes.retain(|c| !c.is_null());
    }
}

/// Deepest chain of skip logic followed (a condition reading a question with its own
/// condition); definitions are far shallower, and expressions read only earlier questions.
const MAX_CHAIN: usize = 16;

/// Answers under which ingest does not ask `q`: its condition is false, or it cannot be
/// decided because it reads a question that was itself not asked. `None` when the
/// condition is not one a schema can state.
fn not_asked(def: &Definition, q: &Question, depth: usize) -> Option<Value> {
    let condition = q.relevant.as_ref()?;
    if depth > MAX_CHAIN {
        return None;
    }
    let mut cases = vec![false_schema(def, condition)?];
    // An `or` decides on one side alone: a skipped question on the other does not make
    // it undecided, which the cases below would assume.
    let mut has_or = false;
    condition.walk(&mut |e| has_or |= matches!(e.kind, ExprKind::Binary(BinOp::Or, ..)));
    let mut names = Vec::new();
    condition.walk(&mut |e| {
        if let ExprKind::Name(n) = &e.kind {
            names.push(n.clone());
        }
    });
    names.sort();
    names.dedup();
    for name in names {
        let read = def.question(&name)?;
        if read.relevant.is_none() {
            continue;
        }
        if has_or {
            return None;
        }
        cases.push(json!({ "allOf": [missing(&name), not_asked(def, read, depth + 1)?] }));
    }
    Some(if cases.len() == 1 {
        cases.remove(0)
    } else {
        json!({ "anyOf": cases })
    })
}

/// `name` is unanswered: absent or null.
fn missing(name: &str) -> Value {
    json!({ "anyOf": [
        { "not": { "required": [name] } },
        { "properties": { name: { "type": "null" } } },
    ] })
}

/// `name` is answered and its answer satisfies `schema`.
fn answered(name: &str, schema: Value) -> Value {
    json!({ "required": [name], "properties": { name: { "allOf": [{ "not": { "type": "null" } }, schema] } } })
}

/// Answers under which `e` is false (not merely undecided), for the shapes a schema can
/// state; `None` for any other.
fn false_schema(def: &Definition, e: &Expr) -> Option<Value> {
    let name_of = |e: &Expr| match &e.kind {
        ExprKind::Name(n) if def.question(n).is_some() => Some(n.clone()),
        _ => None,
    };
    let constant = |e: &Expr| match &e.kind {
        ExprKind::Number(n) => Some(*n),
        ExprKind::Param(p) => def.parameter(p),
        ExprKind::Neg(inner) => match inner.kind {
            ExprKind::Number(n) => Some(-n),
            _ => None,
        },
        _ => None,
    };
    let is_boolean = |n: &str| def.question(n).is_some_and(|q| matches!(q.kind, QuestionKind::Boolean));
    match &e.kind {
        ExprKind::Name(n) if is_boolean(n) => Some(answered(n, json!({ "const": false }))),
        ExprKind::Not(inner) => {
            let n = name_of(inner).filter(|n| is_boolean(n))?;
            Some(answered(&n, json!({ "const": true })))
        }
        ExprKind::Binary(BinOp::And, a, b) => Some(json!({ "anyOf": [false_schema(def, a)?, false_schema(def, b)?] })),
        ExprKind::Binary(BinOp::Or, a, b) => Some(json!({ "allOf": [false_schema(def, a)?, false_schema(def, b)?] })),
        ExprKind::Binary(op, left, right) => {
            let n = name_of(left)?;
            if let ExprKind::Text(code) = &right.kind {
                return match op {
                    BinOp::Eq => Some(answered(&n, json!({ "not": { "const": code } }))),
                    BinOp::Ne => Some(answered(&n, json!({ "const": code }))),
                    _ => None,
                };
            }
            let k = constant(right)?;
            let bound = match op {
                BinOp::Gt => json!({ "maximum": k }),
                BinOp::Ge => json!({ "exclusiveMaximum": k }),
                BinOp::Lt => json!({ "minimum": k }),
                BinOp::Le => json!({ "exclusiveMinimum": k }),
                BinOp::Eq => json!({ "not": { "const": k } }),
                BinOp::Ne => json!({ "const": k }),
                _ => return None,
            };
            Some(answered(&n, json!({ "allOf": [{ "type": "number" }, bound] })))
        }
        ExprKind::In { value, list, negated } => {
            let n = name_of(value)?;
            let codes: Option<Vec<Value>> = list
                .iter()
                .map(|l| match &l.kind {
                    ExprKind::Text(t) => Some(json!(t)),
                    _ => None,
                })
                .collect();
            let within = json!({ "enum": codes? });
            Some(if *negated {
                answered(&n, within)
            } else {
                answered(&n, json!({ "not": within }))
            })
        }
        _ => None,
    }
}
