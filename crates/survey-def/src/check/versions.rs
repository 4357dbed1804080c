//! `[[survey.earlier_versions]]`: each listed version is loaded with its own definition
//! (relative to the file listing it) and its mapping onto this definition is checked, so
//! `labor-survey check` finds an unknown id, an unknown code or a type that cannot map
//! before any return is read.

use super::{Checker, key};
use crate::definition::Definition;
use crate::load::{Earlier, load_with};
use crate::problem::{DefinitionError, ProblemKind};
use crate::source::Seg;
use crate::versions::{EarlierVersion, plan};
use std::collections::BTreeSet;

/// Problems of an earlier version's own file shown in the listing file's problem.
const PROBLEMS_SHOWN: usize = 3;

/// Loads every earlier version `def` lists and plans its harmonisation; problems go to `ck`.
pub(super) fn load_earlier(ck: &mut Checker<'_>, def: &Definition) -> Vec<EarlierVersion> {
    let folder = ck.file.parent().unwrap_or(std::path::Path::new("")).to_owned();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, spec) in def.survey().earlier_versions.iter().enumerate() {
        let at = |k: &[&str]| {
            let mut path = vec![key("survey"), key("earlier_versions"), Seg::Index(i)];
            path.extend(k.iter().map(|k| key(k)));
            path
        };
        let version = spec.version.trim();
        if version.is_empty() || version.chars().any(char::is_whitespace) {
            ck.report(
                ProblemKind::BadValue,
                &at(&["version"]),
                format!("version `{}` must be one word, e.g. 1.0.0", spec.version),
                None,
            );
            continue;
        }
        if version == def.survey().version {
            ck.report(
                ProblemKind::BadValue,
                &at(&["version"]),
                format!("version {version} is this definition's own version"),
                Some("list only versions before this one; returns of this version read as they are".into()),
            );
            continue;
        }
        if !seen.insert(version.to_owned()) {
            ck.report(
                ProblemKind::DuplicateId,
                &at(&["version"]),
                format!("version {version} is listed twice"),
                None,
            );
            continue;
        }
        if spec.definition.trim().is_empty() {
            ck.report(
                ProblemKind::Empty,
                &at(&["definition"]),
                format!("version {version} names no definition file"),
                Some("write definition = \"<file of that version>.toml\", relative to this file".into()),
            );
            continue;
        }
        let file = folder.join(spec.definition.trim());
        let earlier = match load_with(&file, Earlier::Skip) {
            Ok(earlier) => earlier,
            Err(e) => {
                ck.report(
                    ProblemKind::UnknownReference,
                    &at(&["definition"]),
                    format!("the definition of version {version} cannot be loaded: {}", describe(&e)),
                    Some(format!(
                        "run `labor-survey check {}` to see its problems",
                        file.display()
                    )),
                );
                continue;
            }
        };
        let (harmonisation, problems) = plan(spec, &earlier, def);
        let clean = problems.is_empty();
        for p in problems {
            let keys: Vec<&str> = p.at.iter().map(String::as_str).collect();
            ck.report(ProblemKind::UnknownReference, &at(&keys), p.message, p.hint);
        }
        if clean {
            out.push(EarlierVersion {
                version: version.to_owned(),
                definition: Box::new(earlier),
                harmonisation,
            });
        }
    }
    out
}

/// The error in one line, with the first few problems of an invalid file.
fn describe(e: &DefinitionError) -> String {
    match e {
        DefinitionError::Invalid { problems, .. } => {
            let shown: Vec<String> = problems
                .iter()
                .take(PROBLEMS_SHOWN)
                .map(|p| format!("line {}: {}", p.at.line, p.message))
                .collect();
            let more = problems.len().saturating_sub(PROBLEMS_SHOWN);
            let more = if more > 0 {
                format!("; {more} more")
            } else {
                String::new()
            };
            format!("{}{more}", shown.join("; "))
        }
        other => other.to_string(),
    }
}
