//! The answer contract: what decides how a return is read, and nothing else.
//!
//! A return carries the fingerprint of the definition its form was made from. The
//! fingerprint is the SHA-256 of the contract's canonical text: the survey id, the
//! question holding the enterprise id (and the submission time), the template layout, and
//! for each question and table column its id, its kind, whether it is asked or
//! calculated, and the codes it takes. Labels, help, instructions, ranges, skip logic,
//! checks, risk rules, policies and analysis roles are outside it: returns are always
//! checked against the current definition's rules, whichever version made them, so
//! editing those leaves every form already sent out readable.
//!
//! The canonical text is built from the checked model, line by line, so adding an
//! optional key to the definition language changes no fingerprint.

use crate::definition::{Definition, Question, QuestionKind};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Version of the blank questionnaire's layout (sheet roles, id column and row, how
/// choices and option rows are written), as `survey_forms::layout` writes it. Part of the
/// contract: a template made under another layout is read differently.
pub const TEMPLATE_LAYOUT_VERSION: &str = "1";

/// The canonical text of `def`'s answer contract.
pub fn canonical_text(def: &Definition) -> String {
    let survey = def.survey();
    let mut out = String::new();
    // `write!` to a String cannot fail.
    let _ = writeln!(out, "labor-survey answer contract");
    let _ = writeln!(out, "layout {TEMPLATE_LAYOUT_VERSION}");
    let _ = writeln!(out, "survey {}", survey.id);
    let _ = writeln!(out, "enterprise {}", survey.enterprise_question);
    let _ = writeln!(
        out,
        "submitted {}",
        survey.submitted_at_question.as_deref().unwrap_or("-")
    );
    for q in def.questions() {
        let _ = writeln!(out, "{}", item_line(&q.id, q));
        for c in q.columns() {
            let _ = writeln!(out, "{}", item_line(&format!("{}.{}", q.id, c.id), c));
        }
    }
    out
}

/// The fingerprint of `def`: SHA-256 of [`canonical_text`], hex.
pub fn fingerprint(def: &Definition) -> String {
    hex::encode(Sha256::digest(canonical_text(def).as_bytes()))
}

fn item_line(name: &str, q: &Question) -> String {
    let how = if q.is_asked() { "asked" } else { "calculated" };
    let mut line = format!("item {name} {} {how}", q.kind.name());
    if let Some(choices) = q.kind.choices() {
        let mut codes: Vec<&str> = choices.options.iter().map(|o| o.code.as_str()).collect();
        // Returns are read by code; the order options are shown in is presentation.
        codes.sort_unstable();
        line.push_str(" codes ");
        line.push_str(&codes.join(","));
    }
    line
}

/// How returns made from an earlier definition read under this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// They read as they are.
    Compatible,
    /// They read once the earlier version is listed with its mapping (renamed ids,
    /// recoded options; questions new in this version are then not asked of them).
    NeedsMapping,
    /// They cannot be read as returns of this definition.
    Unreadable,
}

impl Verdict {
    /// The verdict in words.
    pub fn describe(self) -> &'static str {
        match self {
            Verdict::Compatible => "compatible: its returns read as they are",
            Verdict::NeedsMapping => {
                "readable with a mapping: its returns need renamed ids or recoded options (or do not answer a new required question)"
            }
            Verdict::Unreadable => "not readable: its returns cannot be read as returns of this definition",
        }
    }
}

/// One difference between the answer contracts of two definitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The question or `table.column` it concerns; empty for the survey itself.
    pub item: String,
    /// What changed, in words.
    pub change: String,
    /// What it means for the earlier returns.
    pub verdict: Verdict,
}

/// Every difference between the contract of `earlier` and that of `current`, in the
/// current questionnaire's order (removed items after), and the overall verdict (the
/// worst of them; compatible when there is none).
pub fn compare(earlier: &Definition, current: &Definition) -> (Verdict, Vec<Difference>) {
    let mut out = Vec::new();
    let (a, b) = (earlier.survey(), current.survey());
    if a.id != b.id {
        out.push(Difference {
            item: String::new(),
            change: format!("the survey id is `{}`, not `{}`", a.id, b.id),
            verdict: Verdict::Unreadable,
        });
    }
    if a.enterprise_question != b.enterprise_question {
        out.push(Difference {
            item: String::new(),
            change: format!(
                "the enterprise id is read from `{}`, not `{}`",
                b.enterprise_question, a.enterprise_question
            ),
            verdict: Verdict::Unreadable,
        });
    }
    let before = items(earlier);
    let after = items(current);
    for (name, q) in &after {
        match before.get(name.as_str()) {
            None => out.push(Difference {
                item: name.clone(),
                change: if q.required && q.is_asked() {
                    "new, and required: earlier returns do not answer it".into()
                } else {
                    "new: earlier returns leave it unanswered".into()
                },
                verdict: if q.required && q.is_asked() {
                    Verdict::NeedsMapping
                } else {
                    Verdict::Compatible
                },
            }),
            Some(old) => compare_item(name, old, q, &mut out),
        }
    }
    for (name, old) in &before {
        if !after.contains_key(name) {
            out.push(Difference {
                item: name.clone(),
                change: if old.is_asked() {
                    "removed: earlier answers to it are set aside unless it is renamed".into()
                } else {
                    "removed (it was calculated)".into()
                },
                verdict: if old.is_asked() {
                    Verdict::NeedsMapping
                } else {
                    Verdict::Compatible
                },
            });
        }
    }
    // Keep the current questionnaire's order: `after` is keyed by name, so sort by the
    // position of each item in it, removed items last.
    let order = current_order(current);
    out.sort_by_key(|d| (order.get(&d.item).copied().unwrap_or(usize::MAX), d.item.clone()));
    let verdict = out.iter().map(|d| d.verdict).max().unwrap_or(Verdict::Compatible);
    (verdict, out)
}

fn compare_item(name: &str, old: &Question, new: &Question, out: &mut Vec<Difference>) {
    if old.kind.name() != new.kind.name() {
        let numbers = old.kind.is_numeric() && new.kind.is_numeric();
        out.push(Difference {
            item: name.to_owned(),
            change: format!("was {}, is {}", old.kind.name(), new.kind.name()),
            // A whole number reads as a decimal; a decimal may not be whole.
            verdict: if numbers && matches!(new.kind, QuestionKind::Decimal(_)) {
                Verdict::Compatible
            } else {
                Verdict::Unreadable
            },
        });
        return;
    }
    if old.is_asked() != new.is_asked() {
        out.push(Difference {
            item: name.to_owned(),
            change: if new.is_asked() {
                "was calculated, is now asked: earlier returns do not answer it".into()
            } else {
                "was asked, is now calculated: earlier answers are replaced by the calculation".into()
            },
            verdict: if new.is_asked() && new.required {
                Verdict::NeedsMapping
            } else {
                Verdict::Compatible
            },
        });
    }
    if let (Some(a), Some(b)) = (old.kind.choices(), new.kind.choices()) {
        let removed: Vec<&str> = a
            .options
            .iter()
            .map(|o| o.code.as_str())
            .filter(|c| !b.contains(c))
            .collect();
        let added: Vec<&str> = b
            .options
            .iter()
            .map(|o| o.code.as_str())
            .filter(|c| !a.contains(c))
            .collect();
        if !removed.is_empty() {
            out.push(Difference {
                item: name.to_owned(),
                change: format!(
                    "option code(s) {} no longer exist: earlier answers with them need a recode",
                    quoted(&removed)
                ),
                verdict: Verdict::NeedsMapping,
            });
        }
        if !added.is_empty() {
            out.push(Difference {
                item: name.to_owned(),
                change: format!("new option code(s) {}", quoted(&added)),
                verdict: Verdict::Compatible,
            });
        }
    }
}

fn quoted(codes: &[&str]) -> String {
    codes.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
}

/// Every question and table column by name (`id`, or `table.column`).
fn items(def: &Definition) -> BTreeMap<String, &Question> {
    let mut out = BTreeMap::new();
    for q in def.questions() {
        out.insert(q.id.clone(), q);
        for c in q.columns() {
            out.insert(format!("{}.{}", q.id, c.id), c);
        }
    }
    out
}

/// Position of each question and column in the questionnaire (the survey itself first).
fn current_order(def: &Definition) -> BTreeMap<String, usize> {
    let mut order = BTreeMap::from([(String::new(), 0)]);
    for (name, _) in def.questions().iter().flat_map(|q| {
        std::iter::once((q.id.clone(), q)).chain(q.columns().iter().map(move |c| (format!("{}.{}", q.id, c.id), c)))
    }) {
        let n = order.len();
        order.insert(name, n);
    }
    order
}
