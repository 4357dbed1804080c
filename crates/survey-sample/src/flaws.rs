//! Planted flaws (what the ingest must reject or set aside) and harmless variants (what
//! it must accept after normalisation: full-width digits, thousands separators, units,
//! lower-case credit codes, bare codes, dates written out in Chinese).

use crate::check::{self, Record};
use crate::formats::{Filed, Format, Out, date_text};
use crate::random::{self, Rng, chance, int};
use survey_def::codes::USCC_ALPHABET;
use survey_def::expr::Value;
use survey_def::{Definition, Question, QuestionKind};

/// A kind of flaw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Flaw {
    UnknownCode,
    WrongType,
    MissingRequired,
    OutOfRange,
    BadCheckCharacter,
    HardToFillExceedsOpenings,
    ReceivedWithoutApplied,
    Duplicate,
    TruncatedXlsx,
    PdfAsXlsx,
    EmptyJson,
    TruncatedJsonLine,
}

use Flaw::*;

/// The order flaws are handed out in: every kind once, then the commoner ones again.
pub(crate) const ROUND: [Flaw; 25] = [
    UnknownCode,
    WrongType,
    MissingRequired,
    OutOfRange,
    BadCheckCharacter,
    HardToFillExceedsOpenings,
    ReceivedWithoutApplied,
    Duplicate,
    TruncatedXlsx,
    PdfAsXlsx,
    EmptyJson,
    TruncatedJsonLine,
    UnknownCode,
    WrongType,
    MissingRequired,
    OutOfRange,
    Duplicate,
    BadCheckCharacter,
    HardToFillExceedsOpenings,
    ReceivedWithoutApplied,
    Duplicate,
    UnknownCode,
    WrongType,
    MissingRequired,
    OutOfRange,
];

impl Flaw {
    /// The name the manifest uses.
    pub fn code(self) -> &'static str {
        match self {
            UnknownCode => "unknown_code",
            WrongType => "wrong_type",
            MissingRequired => "missing_required",
            OutOfRange => "out_of_range",
            BadCheckCharacter => "bad_check_character",
            HardToFillExceedsOpenings => "hard_to_fill_exceeds_openings",
            ReceivedWithoutApplied => "received_without_applied",
            Duplicate => "duplicate",
            TruncatedXlsx => "truncated_xlsx",
            PdfAsXlsx => "pdf_as_xlsx",
            EmptyJson => "empty_json",
            TruncatedJsonLine => "truncated_json_line",
        }
    }

    /// The format a damaged file must have.
    pub fn format(self) -> Option<Format> {
        match self {
            TruncatedXlsx | PdfAsXlsx => Some(Format::Xlsx),
            EmptyJson => Some(Format::Json),
            TruncatedJsonLine => Some(Format::Jsonl),
            _ => None,
        }
    }

    /// Whether the whole file (or line) cannot be read.
    pub fn damaged(self) -> bool {
        self.format().is_some()
    }
}

/// Where a flaw was planted and what was written.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Planted {
    pub question: Option<String>,
    pub value: Option<String>,
}

fn planted(question: String, value: Option<String>) -> Planted {
    Planted {
        question: Some(question),
        value,
    }
}

/// An answered cell: name for the manifest, question, and table and row when in a table.
type Cell<'d> = (String, &'d Question, Option<(&'d Question, usize)>);

/// Every answered cell.
fn cells<'d>(def: &'d Definition, f: &Filed) -> Vec<Cell<'d>> {
    let mut out = Vec::new();
    for q in def.questions().iter().filter(|q| q.is_asked()) {
        if q.kind.table().is_some() {
            for (r, row) in f
                .tables
                .get(q.id())
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                for c in q.columns().iter().filter(|c| row.contains_key(c.id())) {
                    out.push((format!("{}[{}].{}", q.id(), r + 1, c.id()), c, Some((q, r))));
                }
            }
        } else if f.answers.contains_key(q.id()) {
            out.push((q.id().to_owned(), q, None));
        }
    }
    out
}

fn get<'f>(f: &'f mut Filed, q: &Question, at: Option<(&Question, usize)>) -> Option<&'f mut Out> {
    match at {
        None => f.answers.get_mut(q.id()),
        Some((t, r)) => f.tables.get_mut(t.id())?.get_mut(r)?.get_mut(q.id()),
    }
}

/// A misspelling of `code` that is no code or label of `q`'s list.
fn typo(q: &Question, code: &str, rng: &mut Rng) -> String {
    let taken = |s: &str| {
        q.kind.choices().is_some_and(|l| {
            l.options
                .iter()
                .any(|o| o.code.eq_ignore_ascii_case(s) || o.label.zh == s || o.label.en.eq_ignore_ascii_case(s))
        })
    };
    let chars: Vec<char> = code.chars().collect();
    for _ in 0..20 {
        let mut c = chars.clone();
        let i = int(rng, 0, c.len() as i64 - 1) as usize;
        match int(rng, 0, 2) {
            0 if i + 1 < c.len() => c.swap(i, i + 1),
            1 if c.len() > 2 => {
                c.remove(i);
            }
            _ => c.insert(i, c[i]),
        }
        let s: String = c.into_iter().collect();
        if !taken(&s) {
            return s;
        }
    }
    format!("{code}x")
}

/// Whether `q` (in row `at` of a table) is asked for sure in the clean `record`: its
/// skip rule, if any, is decided true. Leaving out such an answer is a flaw whatever
/// the definition's rule for undecided skip logic.
fn surely_asked(def: &Definition, record: &Record, q: &Question, at: Option<(&Question, usize)>) -> bool {
    let Some(rule) = &q.relevant else { return true };
    let value = match at {
        None => check::eval(def, record, rule),
        Some((t, r)) => match record.tables.get(t.id()).and_then(|rows| rows.get(r)) {
            Some(row) => check::eval_row(def, record, t, row, rule),
            None => return false,
        },
    };
    value == Value::Bool(true)
}

/// Plants `flaw` in `f`, the written form of the clean `record`; `None` when the return
/// has nothing to plant it in.
pub(crate) fn plant(def: &Definition, flaw: Flaw, f: &mut Filed, record: &Record, rng: &mut Rng) -> Option<Planted> {
    let all = cells(def, f);
    let choose =
        |rng: &mut Rng, list: &[usize]| (!list.is_empty()).then(|| list[int(rng, 0, list.len() as i64 - 1) as usize]);
    match flaw {
        UnknownCode => {
            let list: Vec<usize> = (0..all.len())
                .filter(|&i| matches!(all[i].1.kind, QuestionKind::SingleChoice(_)))
                .collect();
            let (name, q, at) = &all[choose(rng, &list)?];
            let Some(Out::Text(code)) = get(f, q, *at).cloned() else {
                return None;
            };
            let bad = typo(q, &code, rng);
            *get(f, q, *at)? = Out::Text(bad.clone());
            Some(planted(name.clone(), Some(bad)))
        }
        WrongType => {
            let list: Vec<usize> = (0..all.len())
                .filter(|&i| matches!(all[i].1.kind, QuestionKind::Integer(_)) && all[i].1.required)
                .collect();
            let (name, q, at) = &all[choose(rng, &list)?];
            let Some(Out::Num(n)) = get(f, q, *at).cloned() else {
                return None;
            };
            let n = n as i64;
            let bad = match int(rng, 0, 4) {
                0 => format!("about {n}"),
                1 => format!("约{n}人"),
                2 => format!("{n}左右"),
                3 => format!("{n}-{}", n + 10),
                _ => "若干".to_owned(),
            };
            *get(f, q, *at)? = Out::Text(bad.clone());
            Some(planted(name.clone(), Some(bad)))
        }
        MissingRequired => {
            let enterprise = &def.survey().enterprise_question;
            let list: Vec<usize> = (0..all.len())
                .filter(|&i| all[i].1.required && all[i].1.id() != enterprise)
                .filter(|&i| surely_asked(def, record, all[i].1, all[i].2))
                .collect();
            let (name, q, at) = &all[choose(rng, &list)?];
            match at {
                None => f.answers.remove(q.id()),
                Some((t, r)) => f.tables.get_mut(t.id())?.get_mut(*r)?.remove(q.id()),
            }?;
            Some(planted(name.clone(), None))
        }
        OutOfRange => {
            let bad_of = |q: &Question, n: f64| {
                if q.kind.number().and_then(|n| n.max).is_some_and(|m| n * 10.0 > m) && n > 0.0 {
                    Some(n * 10.0)
                } else {
                    q.kind
                        .number()
                        .and_then(|n| n.min)
                        .map(|m| m - 1.0 - (n.abs() % 5.0).floor())
                }
            };
            let list: Vec<usize> = (0..all.len())
                .filter(|&i| all[i].1.kind.is_numeric())
                .filter(|&i| {
                    all[i].1.kind.number().and_then(|n| n.min).is_some()
                        || all[i].1.kind.number().and_then(|n| n.max).is_some()
                })
                .collect();
            let (name, q, at) = &all[choose(rng, &list)?];
            let Some(Out::Num(n)) = get(f, q, *at).cloned() else {
                return None;
            };
            let bad = bad_of(q, n)?;
            *get(f, q, *at)? = Out::Num(bad);
            Some(planted(name.clone(), Some(format!("{bad}"))))
        }
        BadCheckCharacter => {
            let id = def.survey().enterprise_question.clone();
            let Some(Out::Text(code)) = f.answers.get(&id).cloned() else {
                return None;
            };
            let last = code.chars().last()?;
            let symbols: Vec<char> = USCC_ALPHABET.chars().collect();
            let i = symbols.iter().position(|c| *c == last).unwrap_or(0);
            let shift = int(rng, 1, 30) as usize;
            let bad: String = code
                .chars()
                .take(17)
                .chain([symbols[(i + shift) % symbols.len()]])
                .collect();
            f.answers.insert(id.clone(), Out::Text(bad.clone()));
            Some(planted(id, Some(bad)))
        }
        HardToFillExceedsOpenings => {
            let list: Vec<usize> = (0..all.len())
                .filter(|&i| all[i].1.id() == "openings" && all[i].2.is_some())
                .collect();
            let (_, q, at) = &all[choose(rng, &list)?];
            let Some(Out::Num(open)) = get(f, q, *at).cloned() else {
                return None;
            };
            let (t, r) = (*at)?;
            let bad = open + int(rng, 1, 3) as f64;
            f.tables
                .get_mut(t.id())?
                .get_mut(r)?
                .insert("hard_to_fill".to_owned(), Out::Num(bad));
            Some(planted(
                format!("{}[{}].hard_to_fill", t.id(), r + 1),
                Some(format!("{bad}")),
            ))
        }
        ReceivedWithoutApplied => {
            let aware: Vec<&survey_def::Policy> = def
                .policies()
                .iter()
                .filter(|p| f.answers.get(&p.aware) == Some(&Out::Bool(true)))
                .collect();
            if aware.is_empty() {
                return None;
            }
            let p = &aware[int(rng, 0, aware.len() as i64 - 1) as usize];
            f.answers.insert(p.applied.clone(), Out::Bool(false));
            f.answers.insert(p.received.clone(), Out::Bool(true));
            Some(planted(p.received.clone(), Some("true".into())))
        }
        Duplicate | TruncatedXlsx | PdfAsXlsx | EmptyJson | TruncatedJsonLine => Some(Planted::default()),
    }
}

fn full_width(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_digit() {
                char::from_u32(c as u32 - '0' as u32 + 0xFF10).unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

fn grouped(n: i64) -> String {
    let reversed: Vec<char> = n.abs().to_string().chars().rev().collect();
    let mut groups: Vec<String> = reversed.chunks(3).map(|c| c.iter().rev().collect()).collect();
    groups.reverse();
    let body = groups.join(",");
    if n < 0 { format!("-{body}") } else { body }
}

/// Harmless variants for a return about to be written in `format`: each is something
/// respondents do that the ingest must read back to the same value.
pub(crate) fn variants(def: &Definition, f: &mut Filed, format: Format, rng: &mut Rng) -> Vec<String> {
    let mut kinds: Vec<(&str, f64)> = vec![
        ("full_width_digits", 3.0),
        ("thousands_separator", 3.0),
        ("unit_suffix", 1.5),
        ("uscc_lower_case", 1.5),
    ];
    if matches!(format, Format::Xlsx | Format::Wide) {
        kinds.push(("date_as_text", 1.0));
    }
    if format == Format::Xlsx {
        kinds.push(("bare_codes", 1.5));
    }
    let k = int(rng, 1, 2) as usize;
    let picked = random::pick_some(rng, &kinds, k);
    let all = cells(def, f);
    let mut done = Vec::new();
    for kind in picked {
        let numeric: Vec<usize> = (0..all.len())
            .filter(|&i| matches!(all[i].1.kind, QuestionKind::Integer(_)))
            .filter(|&i| matches!(get(f, all[i].1, all[i].2), Some(Out::Num(n)) if *n >= 0.0))
            .collect();
        let big: Vec<usize> = numeric
            .iter()
            .copied()
            .filter(|&i| matches!(get(f, all[i].1, all[i].2), Some(Out::Num(n)) if *n >= 1000.0))
            .collect();
        let persons: Vec<usize> = numeric
            .iter()
            .copied()
            .filter(|&i| all[i].1.unit() == Some(survey_def::Unit::Persons))
            .collect();
        let pool = match kind {
            "full_width_digits" => &numeric,
            "thousands_separator" => &big,
            "unit_suffix" => &persons,
            _ => &Vec::new(),
        };
        match kind {
            "full_width_digits" | "thousands_separator" | "unit_suffix" if !pool.is_empty() => {
                let (name, q, at) = &all[pool[int(rng, 0, pool.len() as i64 - 1) as usize]];
                let Some(Out::Num(n)) = get(f, q, *at).cloned() else {
                    continue;
                };
                let n = n as i64;
                let text = match kind {
                    "full_width_digits" => full_width(&n.to_string()),
                    "thousands_separator" => grouped(n),
                    _ => format!("{n}人"),
                };
                if let Some(cell) = get(f, q, *at) {
                    *cell = Out::Text(text);
                    done.push(format!("{kind}:{name}"));
                }
            }
            "uscc_lower_case" => {
                let id = &def.survey().enterprise_question;
                if let Some(Out::Text(code)) = f.answers.get_mut(id) {
                    *code = format!(" {} ", code.to_lowercase());
                    done.push(format!("{kind}:{id}"));
                }
            }
            "date_as_text" => {
                let Some(id) = def.survey().submitted_at_question.clone() else {
                    continue;
                };
                if let Some(Out::Date(d)) = f.answers.get(&id).cloned() {
                    let iso = date_text(d);
                    let (y, m, day) = (
                        &iso[0..4],
                        iso[5..7].trim_start_matches('0'),
                        iso[8..10].trim_start_matches('0'),
                    );
                    f.answers.insert(id.clone(), Out::Text(format!("{y}年{m}月{day}日")));
                    done.push(format!("{kind}:{id}"));
                }
            }
            "bare_codes" => {
                f.bare_codes = true;
                done.push(kind.to_owned());
            }
            _ => {}
        }
    }
    done
}

/// Whether a clean return gets variants.
pub(crate) fn wants_variants(rng: &mut Rng, flawed: bool) -> bool {
    chance(rng, if flawed { 0.05 } else { 0.12 })
}

/// Bytes of a small PDF (a scanned form sent instead of the workbook).
pub(crate) fn pdf_bytes(title: &str) -> Vec<u8> {
    let text = title.chars().filter(char::is_ascii_alphanumeric).collect::<String>();
    format!(
        "%PDF-1.4\n%\u{e2}\u{e3}\u{cf}\u{d3}\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>\nendobj\n4 0 obj\n<< /Length 44 >>\nstream\nBT /F1 12 Tf 72 770 Td ({text}) Tj ET\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_spell_numbers_as_people_type_them() {
        assert_eq!(full_width("120"), "１２０");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(12_000), "12,000");
        assert!(pdf_bytes("x").starts_with(b"%PDF-1.4"));
    }
}
