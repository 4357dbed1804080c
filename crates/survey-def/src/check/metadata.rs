//! Checks of what the survey says about itself and the texts it shows: the `[survey]`
//! metadata, every bilingual label, and the choice lists questions draw their options
//! from. These come first because question types and expressions refer to them.

use super::{Checker, key};
use crate::codes;
use crate::model::Lang;
use crate::problem::ProblemKind;
use crate::source::{Seg, TomlPath};
use crate::written::DefinitionFile;
use std::collections::{HashMap, HashSet};

/// The `[survey]` table: a usable id and version, a period that is two dates in order,
/// both report languages, and a sub-district list that exists.
pub(super) fn check_metadata(ck: &mut Checker<'_>, file: &DefinitionFile) {
    let s = &file.survey;
    let at = |k: &str| vec![key("survey"), key(k)];
    if !is_slug(&s.id) {
        ck.report(
            ProblemKind::BadId,
            &at("id"),
            format!(
                "survey id `{}` must be lower-case letters, digits, `-`, `_` or `.`",
                s.id
            ),
            Some("e.g. yangpu-spring-2024".into()),
        );
    }
    if s.version.trim().is_empty() || s.version.chars().any(char::is_whitespace) {
        ck.report(
            ProblemKind::BadValue,
            &at("version"),
            format!("version `{}` must be one word, e.g. 1.0.0", s.version),
            None,
        );
    }
    let start = codes::parse_iso_date(&s.period_start);
    let end = codes::parse_iso_date(&s.period_end);
    for (k, value, parsed) in [
        ("period_start", &s.period_start, start),
        ("period_end", &s.period_end, end),
    ] {
        if parsed.is_none() {
            ck.report(
                ProblemKind::BadValue,
                &at(k),
                format!("`{value}` is not a date"),
                Some("write YYYY-MM-DD".into()),
            );
        }
    }
    if let (Some(a), Some(b)) = (start, end)
        && a > b
    {
        ck.report(
            ProblemKind::BadRange,
            &at("period_end"),
            format!(
                "the period ends ({}) before it starts ({})",
                s.period_end, s.period_start
            ),
            None,
        );
    }
    for lang in [Lang::Zh, Lang::En] {
        if !s.languages.contains(&lang) {
            ck.report(
                ProblemKind::BadValue,
                &at("languages"),
                format!(
                    "languages must include `{}`",
                    if lang == Lang::Zh { "zh" } else { "en" }
                ),
                Some("every survey carries Chinese and English labels: languages = [\"zh\", \"en\"]".into()),
            );
        }
    }
    if let Some(list) = &s.subdistricts
        && !file.choices.contains_key(list)
    {
        ck.report(
            ProblemKind::UnknownChoiceList,
            &at("subdistricts"),
            format!("unknown choice list `{list}`"),
            Some("declare it under [choices]".into()),
        );
    }
}

/// True for an id that can appear in file names and URLs as it is.
fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

/// Every `{ zh, en }` label must be filled in each declared language. Walks the JSON
/// form of the file, whose paths are the TOML paths.
pub(super) fn check_labels(ck: &mut Checker<'_>, file: &DefinitionFile) {
    fn walk(v: &serde_json::Value, path: &mut TomlPath, langs: &[Lang], out: &mut Vec<(TomlPath, &'static str)>) {
        match v {
            serde_json::Value::Object(map) => {
                if map.len() == 2 && map.contains_key("zh") && map.contains_key("en") {
                    for lang in langs {
                        let name = if *lang == Lang::Zh { "zh" } else { "en" };
                        if map
                            .get(name)
                            .and_then(|t| t.as_str())
                            .is_some_and(|t| t.trim().is_empty())
                        {
                            let mut at = path.clone();
                            at.push(Seg::Key(name.to_owned()));
                            out.push((at, name));
                        }
                    }
                    return;
                }
                for (k, item) in map {
                    path.push(Seg::Key(k.clone()));
                    walk(item, path, langs, out);
                    path.pop();
                }
            }
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(Seg::Index(i));
                    walk(item, path, langs, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let Ok(json) = serde_json::to_value(file) else { return };
    let mut found = Vec::new();
    walk(&json, &mut Vec::new(), &file.survey.languages, &mut found);
    for (at, lang) in found {
        ck.report(
            ProblemKind::MissingLabel,
            &at,
            format!("the `{lang}` label is empty"),
            Some("every text a respondent or reader sees needs both languages".into()),
        );
    }
}

/// Each choice list has options, with codes that are unique, not padded and tied only
/// to declared services. Returns the codes of every list, for type-checking
/// expressions that compare answers with codes.
pub(super) fn check_choices(ck: &mut Checker<'_>, file: &DefinitionFile) -> HashMap<String, Vec<String>> {
    let services: HashSet<&str> = file.services.iter().map(|s| s.id.as_str()).collect();
    let mut lists = HashMap::new();
    for (id, list) in &file.choices {
        let at = vec![key("choices"), key(id)];
        if list.options.is_empty() {
            ck.report(
                ProblemKind::Empty,
                &at,
                format!("choice list `{id}` has no options"),
                None,
            );
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, option) in list.options.iter().enumerate() {
            let opt_at = vec![key("choices"), key(id), key("options"), Seg::Index(i)];
            if option.code.trim().is_empty() || option.code != option.code.trim() {
                ck.report(
                    ProblemKind::BadId,
                    &opt_at,
                    format!("option code `{}` is empty or padded with spaces", option.code),
                    None,
                );
            }
            if let Some(first) = seen.insert(&option.code, i) {
                let first_line = ck.line_of(&[key("choices"), key(id), key("options"), Seg::Index(first)]);
                ck.report(
                    ProblemKind::DuplicateId,
                    &opt_at,
                    format!("code `{}` appears twice in choice list `{id}`", option.code),
                    Some(format!("first used on line {first_line}")),
                );
            }
            if let Some(service) = &option.service
                && !services.contains(service.as_str())
            {
                ck.report(
                    ProblemKind::UnknownReference,
                    &[opt_at.as_slice(), &[key("service")]].concat(),
                    format!("unknown service `{service}`"),
                    Some("declare it under [[services]]".into()),
                );
            }
        }
        lists.insert(id.clone(), list.options.iter().map(|o| o.code.clone()).collect());
    }
    lists
}
