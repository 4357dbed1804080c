//! JSON returns: one return, an array of returns, or JSON Lines (one return a line).
//!
//! Parsing is strict: duplicate keys are an error (serde_json would silently keep the
//! last), nesting is bounded by serde_json's recursion limit, `NaN` and numbers out of
//! the f64 range do not parse. A JSON Lines file is streamed line by line: a broken line
//! rejects that line only.

use crate::limits::Limits;
use crate::raw::Received;
use crate::rejection::{Location, Rejection, Rule, excerpt};
use rayon::prelude::*;
use std::io::BufRead;

mod de;

fn parse(text: &str, many: bool) -> Result<de::Document, serde_json::Error> {
    // Editors such as Notepad start UTF-8 files with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    de::parse(text, many)
}

fn json_rejection(location: Location, err: &serde_json::Error) -> Rejection {
    let msg = err.to_string();
    let (rule, zh) = if msg.contains("duplicate key") {
        (Rule::DuplicateKey, "同一对象中有重复的键")
    } else if msg.contains("recursion limit") {
        (Rule::InvalidJson, "JSON 嵌套层数过深")
    } else if msg.contains("out of range") {
        (Rule::InvalidJson, "数字超出可表示范围")
    } else {
        (Rule::InvalidJson, "不是有效的 JSON")
    };
    let mut location = location;
    if location.line.is_none() && err.line() > 0 {
        location.line = Some(err.line() as u64);
    }
    Rejection::file(location, rule, format!("{zh}（{msg}）"), format!("invalid JSON: {msg}"))
}

/// Reads a `.json` file holding one return or an array of returns.
pub fn read_json(bytes: &[u8], file: &str, modified: Option<i64>, limits: &Limits, sink: &mut dyn FnMut(Received)) {
    // Checked as UTF-8 once, here: the parser then reads text without checking it again.
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let loc = Location {
                line: Some(line_of(bytes, e.valid_up_to())),
                ..Location::file(file)
            };
            sink(Received::Unreadable {
                rejections: vec![Rejection::file(
                    loc.clone(),
                    Rule::InvalidJson,
                    "文件不是有效的 UTF-8 编码",
                    "the file is not valid UTF-8",
                )],
                location: loc,
            });
            return;
        }
    };
    match parse(text, true) {
        Ok(de::Document::Many(items)) => {
            if items.len() > limits.max_returns_per_file {
                let loc = Location::file(file);
                sink(Received::Unreadable {
                    rejections: vec![Rejection::file(
                        loc.clone(),
                        Rule::TooLarge,
                        format!(
                            "文件含 {} 份问卷，超过上限 {}",
                            items.len(),
                            limits.max_returns_per_file
                        ),
                        format!(
                            "the file holds {} returns, more than the limit of {}",
                            items.len(),
                            limits.max_returns_per_file
                        ),
                    )],
                    location: loc,
                });
                return;
            }
            for (i, item) in items.into_iter().enumerate() {
                sink(to_return(item, file, None, &format!("$[{i}]"), modified));
            }
        }
        Ok(de::Document::One(shape)) => sink(to_return(shape, file, None, "$", modified)),
        Err(e) => {
            let rejection = json_rejection(Location::file(file), &e);
            sink(Received::Unreadable {
                location: rejection.location.clone(),
                rejections: vec![rejection],
            });
        }
    }
}

fn line_of(bytes: &[u8], offset: usize) -> u64 {
    bytes[..offset.min(bytes.len())].iter().filter(|&&b| b == b'\n').count() as u64 + 1
}

/// Streams a JSON Lines file: each non-blank line is one return. Memory stays at one
/// line (at most `limits.max_json_line_bytes`) however large the file.
///
/// A reading thread gathers the next batch of lines while the workers parse this one, so
/// reading the file never leaves the workers idle.
pub fn read_json_lines(
    reader: &mut (dyn BufRead + Send),
    file: &str,
    modified: Option<i64>,
    limits: &Limits,
    sink: &mut dyn FnMut(Received),
) {
    let cap = limits.max_json_line_bytes;
    std::thread::scope(|scope| {
        // No room in the channel: the reader holds at most the batch it is filling and
        // the one it waits to hand over, so memory holds about two batches of lines.
        let (send, batches) = std::sync::mpsc::sync_channel::<LineBatch>(0);
        scope.spawn(move || read_batches(reader, cap, &send));
        // Lines are parsed a batch at a time on every worker thread; what they give
        // reaches the sink in line order.
        for batch in batches {
            let parsed: Vec<Option<Received>> = batch
                .lines
                .par_iter()
                .map(|(number, line)| read_line(line, file, *number, modified))
                .collect();
            drop(batch.lines);
            for received in parsed.into_iter().flatten() {
                sink(received);
            }
            let Some((number, end)) = batch.end else { continue };
            let loc = Location {
                line: Some(number),
                ..Location::file(file)
            };
            let (rule, zh, en) = match end {
                BatchEnd::TooLong(len) => (
                    Rule::TooLarge,
                    format!("此行长 {len} 字节，超过上限 {cap}"),
                    format!("the line is {len} bytes, more than the limit of {cap}"),
                ),
                BatchEnd::Failed(e) => (Rule::Unreadable, format!("读取失败：{e}"), format!("read failed: {e}")),
            };
            sink(Received::Unreadable {
                rejections: vec![Rejection::file(loc.clone(), rule, zh, en)],
                location: loc,
            });
        }
    });
}

/// Lines read together, and what ended the batch early, at which line.
struct LineBatch {
    lines: Vec<(u64, Vec<u8>)>,
    end: Option<(u64, BatchEnd)>,
}

enum BatchEnd {
    /// A line longer than the limit, skipped (its length).
    TooLong(usize),
    /// Reading failed; nothing after it is read.
    Failed(std::io::Error),
}

/// Reads the file into batches of lines and hands them over in order, until the file
/// ends, reading fails or nobody takes them any more.
fn read_batches(reader: &mut (dyn BufRead + Send), cap: usize, send: &std::sync::mpsc::SyncSender<LineBatch>) {
    let mut batch = LineBatch {
        lines: Vec::with_capacity(PARSE_BATCH),
        end: None,
    };
    // Bytes of the lines in `batch`.
    let mut batch_bytes = 0usize;
    let mut number = 0u64;
    // Lines of one file tend to be of one size: start each at the last one's.
    let mut expected_len = 0;
    loop {
        number += 1;
        let mut line = Vec::with_capacity(expected_len);
        let (end, last) = match read_line_capped(reader, &mut line, cap) {
            Ok(LineRead::Line) => {
                expected_len = line.len().min(MAX_EXPECTED_LINE);
                batch_bytes += line.len();
                batch.lines.push((number, line));
                if batch.lines.len() < PARSE_BATCH && batch_bytes < crate::raw::BATCH_BYTES {
                    continue;
                }
                (None, false)
            }
            Ok(LineRead::TooLong(len)) => (Some((number, BatchEnd::TooLong(len))), false),
            Ok(LineRead::End) => (None, true),
            Err(e) => (Some((number, BatchEnd::Failed(e))), true),
        };
        batch.end = end;
        let full = std::mem::replace(
            &mut batch,
            LineBatch {
                lines: Vec::with_capacity(PARSE_BATCH),
                end: None,
            },
        );
        batch_bytes = 0;
        if (!full.lines.is_empty() || full.end.is_some()) && send.send(full).is_err() {
            return;
        }
        if last {
            return;
        }
    }
}

/// Lines of a JSON Lines file parsed together (on all worker threads).
const PARSE_BATCH: usize = 2048;
/// Room reserved for a line before it is read, at most: one long line does not make
/// every later one reserve as much.
const MAX_EXPECTED_LINE: usize = 64 * 1024;

/// One line of a JSON Lines file as a return; nothing for a blank line.
fn read_line(line: &[u8], file: &str, number: u64, modified: Option<i64>) -> Option<Received> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    let loc = || Location {
        line: Some(number),
        ..Location::file(file)
    };
    let Ok(text) = std::str::from_utf8(line) else {
        return Some(Received::Unreadable {
            rejections: vec![Rejection::file(
                loc(),
                Rule::InvalidJson,
                "此行不是有效的 UTF-8 编码",
                "the line is not valid UTF-8",
            )],
            location: loc(),
        });
    };
    Some(match parse(text, false) {
        Ok(de::Document::One(shape)) => to_return(shape, file, Some(number), "$", modified),
        // Read with `many` off, a line is never `Many`.
        Ok(de::Document::Many(_)) => to_return(Err(de::NotAReturn::NotAnObject), file, Some(number), "$", modified),
        Err(e) => Received::Unreadable {
            rejections: vec![json_rejection(loc(), &e)],
            location: loc(),
        },
    })
}

enum LineRead {
    Line,
    TooLong(usize),
    End,
}

/// Reads up to the next newline; a line longer than `cap` is skipped to its end and
/// reported by length, never held in memory.
fn read_line_capped(reader: &mut (dyn BufRead + Send), out: &mut Vec<u8>, cap: usize) -> std::io::Result<LineRead> {
    let mut total = 0usize;
    let mut any = false;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(if !any {
                LineRead::End
            } else if total > cap {
                LineRead::TooLong(total)
            } else {
                LineRead::Line
            });
        }
        any = true;
        let (chunk, done) = match memchr::memchr(b'\n', buf) {
            Some(i) => (&buf[..i], Some(i + 1)),
            None => (buf, None),
        };
        total += chunk.len();
        if total <= cap {
            out.extend_from_slice(chunk);
        } else {
            out.clear();
        }
        let consumed = done.unwrap_or(buf.len());
        reader.consume(consumed);
        if done.is_some() {
            return Ok(if total > cap {
                LineRead::TooLong(total)
            } else {
                LineRead::Line
            });
        }
    }
}

/// Turns one value read as a return into what the sink receives; anything but the
/// return shape is rejected with its path.
fn to_return(shape: de::Shape, file: &str, line: Option<u64>, path: &str, modified: Option<i64>) -> Received {
    let (at, zh, en) = match shape {
        Ok(mut ret) => {
            ret.source = Location::json(file, line, path);
            ret.file_modified = modified;
            return Received::Return(ret);
        }
        Err(de::NotAReturn::NotAnObject) => (
            path.to_owned(),
            "应为问卷对象 {\"survey\", \"version\", \"answers\"}".to_owned(),
            "expected a return object {\"survey\", \"version\", \"answers\"}".to_owned(),
        ),
        Err(de::NotAReturn::UnknownField(other)) => (
            format!("{path}.{other}"),
            format!("未知字段“{}”", excerpt(&other)),
            format!("unknown field `{}`", excerpt(&other)),
        ),
        Err(de::NotAReturn::NoAnswers) => (
            format!("{path}.answers"),
            "缺少 answers 对象".to_owned(),
            "the return has no `answers` object".to_owned(),
        ),
    };
    let loc = Location::json(file, line, at);
    Received::Unreadable {
        rejections: vec![Rejection::file(loc.clone(), Rule::NotAReturn, zh, en)],
        location: loc,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raw::RawValue;

    fn collect_json(text: &str) -> Vec<Received> {
        let mut out = Vec::new();
        read_json(text.as_bytes(), "r.json", None, &Limits::default(), &mut |r| {
            out.push(r)
        });
        out
    }

    fn rule_of(r: &Received) -> Rule {
        match r {
            Received::Unreadable { rejections, .. } => rejections[0].rule,
            Received::Return(_) => panic!("read as a return"),
        }
    }

    #[test]
    fn a_return_with_a_table_reads_with_paths() {
        let got = collect_json(
            r#"{"survey":"s","version":"1","answers":{"n":3,"vacancies":[{"openings":2},{"openings":"x"}]}}"#,
        );
        let Received::Return(ret) = &got[0] else { panic!() };
        assert_eq!(ret.survey_id.as_deref(), Some("s"));
        assert_eq!(ret.answers[0].1.value, RawValue::Number(3.0));
        let (table, rows) = &ret.tables[0];
        assert_eq!(table, "vacancies");
        let mut location = rows[1].cells[0].1.location.clone();
        ret.locate(&mut location);
        assert_eq!(location.json_path.as_deref(), Some("$.answers.vacancies[1].openings"));
        assert_eq!(location.file, "r.json");
    }

    #[test]
    fn hostile_json_is_rejected_by_name() {
        assert_eq!(
            rule_of(&collect_json(r#"{"answers":{"a":1,"a":2}}"#)[0]),
            Rule::DuplicateKey
        );
        assert_eq!(
            rule_of(&collect_json(&format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)))[0]),
            Rule::InvalidJson
        );
        assert_eq!(rule_of(&collect_json(r#"{"answers":{"a":NaN}}"#)[0]), Rule::InvalidJson);
        assert_eq!(
            rule_of(&collect_json(r#"{"answers":{"a":1e400}}"#)[0]),
            Rule::InvalidJson
        );
        assert_eq!(rule_of(&collect_json(r#"[1]"#)[0]), Rule::NotAReturn);
        let mut out = Vec::new();
        read_json(
            b"{\"answers\":{\"a\":\"\xff\"}}",
            "r.json",
            None,
            &Limits::default(),
            &mut |r| out.push(r),
        );
        assert_eq!(rule_of(&out[0]), Rule::InvalidJson);
    }

    #[test]
    fn a_syntax_error_anywhere_wins_over_a_wrong_shape() {
        // Shape problems are noted while the rest of the value is still read.
        assert_eq!(
            rule_of(&collect_json(r#"{"other":1,"answers":{"a":[{"b":1,"b":2}]}}"#)[0]),
            Rule::DuplicateKey
        );
        assert_eq!(
            rule_of(&collect_json(r#"[{"answers":5}, {"x":{"y":1e400}}]"#)[0]),
            Rule::InvalidJson
        );
        let got = collect_json(r#"{"answers":5,"other":{},"more":1}"#);
        let Received::Unreadable { location, rejections } = &got[0] else {
            panic!()
        };
        assert_eq!(rejections[0].rule, Rule::NotAReturn);
        assert_eq!(location.json_path.as_deref(), Some("$.other"));
        let got = collect_json(r#"[{"answers":{}}, {"survey":"s"}]"#);
        let Received::Unreadable { location, .. } = &got[1] else {
            panic!()
        };
        assert_eq!(location.json_path.as_deref(), Some("$[1].answers"));
    }

    #[test]
    fn a_byte_order_mark_is_not_an_error() {
        let got = collect_json("\u{feff}{\"survey\":\"s\",\"answers\":{}}");
        assert!(matches!(got[0], Received::Return(_)), "{got:?}");
    }

    #[test]
    fn many_keys_are_checked_for_duplicates_in_linear_time() {
        let keys: Vec<String> = (0..200_000).map(|i| format!("\"k{i}\":1")).collect();
        let text = format!("{{\"answers\":{{{}}}}}", keys.join(","));
        let started = std::time::Instant::now();
        assert!(matches!(collect_json(&text)[0], Received::Return(_)));
        assert!(started.elapsed().as_secs() < 10);
    }

    #[test]
    fn a_broken_line_rejects_that_line_only() {
        let text = "{\"answers\":{}}\n{\"answers\":\n\n{\"answers\":{\"b\":1}}\n";
        let mut out = Vec::new();
        read_json_lines(&mut text.as_bytes(), "r.jsonl", None, &Limits::default(), &mut |r| {
            out.push(r)
        });
        assert_eq!(out.len(), 3);
        assert!(matches!(out[0], Received::Return(_)));
        let Received::Unreadable { location, .. } = &out[1] else {
            panic!()
        };
        assert_eq!(location.line, Some(2));
        let Received::Return(last) = &out[2] else { panic!() };
        assert_eq!(last.source.line, Some(4));
    }

    #[test]
    fn an_overlong_line_is_skipped_not_held() {
        let limits = Limits {
            max_json_line_bytes: 100,
            ..Limits::default()
        };
        let text = format!(
            "{{\"answers\":{{\"t\":\"{}\"}}}}\n{{\"answers\":{{}}}}\n",
            "x".repeat(5_000_000)
        );
        let mut out = Vec::new();
        read_json_lines(
            &mut std::io::BufReader::new(text.as_bytes()),
            "r.jsonl",
            None,
            &limits,
            &mut |r| out.push(r),
        );
        assert_eq!(rule_of(&out[0]), Rule::TooLarge);
        assert!(matches!(out[1], Received::Return(_)));
    }
}
