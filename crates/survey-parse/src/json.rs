//! JSON returns: one return, an array of returns, or JSON Lines (one return a line).
//!
//! Parsing is strict: duplicate keys are an error (serde_json would silently keep the
//! last), nesting is bounded by serde_json's recursion limit, `NaN` and numbers out of
//! the f64 range do not parse. JSON Lines and JSON arrays are streamed return by return
//! (an array is cut into its items by a byte scanner that knows strings and brackets,
//! nothing more; each item is then parsed on its own): memory holds a batch of returns
//! whatever the file's size, the size limit applies to each return, and a broken or
//! oversized return rejects that return only.

use crate::limits::Limits;
use crate::raw::Received;
use crate::rejection::{Location, Rejection, Rule, excerpt};
use rayon::prelude::*;
use std::io::BufRead;

mod de;

fn parse(text: &str) -> Result<de::Shape, serde_json::Error> {
    // Editors such as Notepad start UTF-8 files with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    de::parse(text)
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

/// Reads a `.json` file holding one return or an array of returns (an array is read as
/// [`read_json_array`] streams one).
pub fn read_json(bytes: &[u8], file: &str, modified: Option<i64>, limits: &Limits, sink: &mut dyn FnMut(Received)) {
    let blank = |b: &u8| b.is_ascii_whitespace();
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(bytes);
    if body.iter().find(|b| !blank(b)) == Some(&b'[') {
        return read_json_array(&mut std::io::Cursor::new(bytes), file, modified, limits, sink);
    }
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
    match parse(text) {
        Ok(shape) => sink(to_return(shape, file, None, "$", modified)),
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

/// Streams a JSON Lines file: each non-blank line is one return. Memory stays at a few
/// batches of lines (each line at most `limits.max_json_line_bytes`) however large the
/// file.
pub fn read_json_lines(
    reader: &mut (dyn BufRead + Send),
    file: &str,
    modified: Option<i64>,
    limits: &Limits,
    sink: &mut dyn FnMut(Received),
) {
    let mut lines = Lines {
        reader,
        cap: limits.max_json_line_bytes,
        number: 0,
    };
    read_records(&mut lines, file, modified, limits, sink);
}

/// Streams a `.json` file whose value is an array: each item is one return, read as a
/// line of JSON Lines is. Memory stays at a few batches of items (each at most
/// `limits.max_json_line_bytes`) however large the file; a file over the size limit keeps
/// its good returns.
pub fn read_json_array(
    reader: &mut (dyn BufRead + Send),
    file: &str,
    modified: Option<i64>,
    limits: &Limits,
    sink: &mut dyn FnMut(Received),
) {
    let mut items = ArrayItems {
        reader,
        cap: limits.max_json_line_bytes,
        index: 0,
        line: 1,
        state: ArrayState::Start,
    };
    read_records(&mut items, file, modified, limits, sink);
}

/// Reads the records of `source` in batches and hands each to `sink` as a return or a
/// rejection, in file order.
///
/// A reading thread gathers the next batch while the workers parse this one, so reading
/// the file never leaves the workers idle.
fn read_records(
    source: &mut dyn Records,
    file: &str,
    modified: Option<i64>,
    limits: &Limits,
    sink: &mut dyn FnMut(Received),
) {
    let framing = source.framing();
    let cap = limits.max_json_line_bytes;
    let most = limits.max_returns_per_file as u64;
    std::thread::scope(|scope| {
        // No room in the channel: the reader holds at most the batch it is filling and
        // the one it waits to hand over, so memory holds about two batches.
        let (send, batches) = std::sync::mpsc::sync_channel::<Batch>(0);
        scope.spawn(move || read_batches(source, most, &send));
        // Records are parsed a batch at a time on every worker thread; what they give
        // reaches the sink in file order.
        for batch in batches {
            let parsed: Vec<Option<Received>> = batch
                .records
                .par_iter()
                .map(|record| match framing {
                    Framing::Lines => read_line(&record.bytes, file, record.number, modified),
                    Framing::Array => Some(read_item(record, file, modified)),
                })
                .collect();
            drop(batch.records);
            for received in parsed.into_iter().flatten() {
                sink(received);
            }
            let Some(end) = batch.end else { continue };
            let at = |number: u64, line: u64| match framing {
                Framing::Lines => Location {
                    line: Some(line),
                    ..Location::file(file)
                },
                Framing::Array => Location::json(file, Some(line), format!("$[{number}]")),
            };
            let (loc, rule, zh, en) = match end {
                BatchEnd::TooLong { number, line, len } => {
                    let (zh_what, en_what) = match framing {
                        Framing::Lines => ("此行".to_owned(), "the line".to_owned()),
                        Framing::Array => (format!("第 {} 份问卷", number + 1), format!("the return $[{number}]")),
                    };
                    (
                        at(number, line),
                        Rule::TooLarge,
                        format!("{zh_what}长 {len} 字节，超过每份问卷的上限 {cap}"),
                        format!("{en_what} is {len} bytes, more than the limit of {cap} per return"),
                    )
                }
                BatchEnd::Broken { number, line, zh, en } => (at(number, line), Rule::InvalidJson, zh, en),
                BatchEnd::TooMany { number, line } => (
                    at(number, line),
                    Rule::TooLarge,
                    format!("文件含超过 {most} 份问卷，其后的内容未读取"),
                    format!("the file holds more than {most} returns; the rest was not read"),
                ),
                BatchEnd::Failed { line, error } => (
                    Location {
                        line: Some(line),
                        ..Location::file(file)
                    },
                    Rule::Unreadable,
                    format!("读取失败：{error}"),
                    format!("read failed: {error}"),
                ),
            };
            sink(Received::Unreadable {
                rejections: vec![Rejection::file(loc.clone(), rule, zh, en)],
                location: loc,
            });
        }
    });
}

/// How the returns of a streamed file are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// One return a line (JSON Lines).
    Lines,
    /// The items of one top-level array.
    Array,
}

/// The bytes of one return, and where it starts.
struct Record {
    /// Its line (JSON Lines) or its index in the array.
    number: u64,
    /// The line it starts on.
    line: u64,
    bytes: Vec<u8>,
}

/// Records read together, and what ended the batch early.
struct Batch {
    records: Vec<Record>,
    end: Option<BatchEnd>,
}

/// What ends a batch early: something to report between records.
enum BatchEnd {
    /// A record longer than the limit, skipped (its length).
    TooLong { number: u64, line: u64, len: usize },
    /// The array's structure is broken here; nothing after it is read.
    Broken {
        number: u64,
        line: u64,
        zh: String,
        en: String,
    },
    /// More records than one file may hold; nothing after it is read.
    TooMany { number: u64, line: u64 },
    /// Reading failed; nothing after it is read.
    Failed { line: u64, error: std::io::Error },
}

/// What a [`Records`] source gave.
enum Next {
    /// A record, now in the buffer.
    Record { number: u64, line: u64 },
    /// Something to report instead of a record; `last` when reading stops there.
    Skipped { end: BatchEnd, last: bool },
    /// The end of the file.
    End,
}

/// A stream of records: the lines of a JSON Lines file, the items of an array.
trait Records: Send {
    /// How its records are laid out.
    fn framing(&self) -> Framing;
    /// Reads the next record into `out` (empty on entry).
    fn next(&mut self, out: &mut Vec<u8>) -> Next;
}

/// Reads the records into batches and hands them over in order, until the file ends,
/// reading stops, or nobody takes them any more.
fn read_batches(source: &mut dyn Records, most: u64, send: &std::sync::mpsc::SyncSender<Batch>) {
    let mut batch = Batch {
        records: Vec::with_capacity(PARSE_BATCH),
        end: None,
    };
    // Bytes of the records in `batch`.
    let mut batch_bytes = 0usize;
    let mut count = 0u64;
    // Records of one file tend to be of one size: start each at the last one's.
    let mut expected_len = 0;
    loop {
        let mut bytes = Vec::with_capacity(expected_len);
        let (end, last) = match source.next(&mut bytes) {
            Next::Record { number, line } if count >= most => (Some(BatchEnd::TooMany { number, line }), true),
            Next::Record { number, line } => {
                count += 1;
                expected_len = bytes.len().min(MAX_EXPECTED_LINE);
                batch_bytes += bytes.len();
                batch.records.push(Record { number, line, bytes });
                if batch.records.len() < PARSE_BATCH && batch_bytes < crate::raw::BATCH_BYTES {
                    continue;
                }
                (None, false)
            }
            Next::Skipped { end, last } => (Some(end), last),
            Next::End => (None, true),
        };
        batch.end = end;
        let full = std::mem::replace(
            &mut batch,
            Batch {
                records: Vec::with_capacity(PARSE_BATCH),
                end: None,
            },
        );
        batch_bytes = 0;
        if (!full.records.is_empty() || full.end.is_some()) && send.send(full).is_err() {
            return;
        }
        if last {
            return;
        }
    }
}

/// Records parsed together (on all worker threads).
const PARSE_BATCH: usize = 2048;
/// Room reserved for a record before it is read, at most: one long record does not make
/// every later one reserve as much.
const MAX_EXPECTED_LINE: usize = 64 * 1024;

/// The lines of a JSON Lines file.
struct Lines<'a> {
    reader: &'a mut (dyn BufRead + Send),
    cap: usize,
    number: u64,
}

impl Records for Lines<'_> {
    fn framing(&self) -> Framing {
        Framing::Lines
    }

    fn next(&mut self, out: &mut Vec<u8>) -> Next {
        self.number += 1;
        let (number, line) = (self.number, self.number);
        match read_line_capped(self.reader, out, self.cap) {
            Ok(LineRead::Line) => Next::Record { number, line },
            Ok(LineRead::TooLong(len)) => Next::Skipped {
                end: BatchEnd::TooLong { number, line, len },
                last: false,
            },
            Ok(LineRead::End) => Next::End,
            Err(error) => Next::Skipped {
                end: BatchEnd::Failed { line, error },
                last: true,
            },
        }
    }
}

/// Where the array scanner is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArrayState {
    /// Before the opening `[`.
    Start,
    /// After `[`: an item or `]`.
    First,
    /// After an item: `,` or `]`.
    AfterItem,
    /// After `,`: an item.
    Item,
    /// After the closing `]`: only blank space may follow.
    Done,
}

/// The items of a top-level JSON array, cut at the bytes: an item ends at the first `,`
/// or `]` outside strings and brackets. Only the structure between items is checked here;
/// each item is parsed (and so checked) on its own.
struct ArrayItems<'a> {
    reader: &'a mut (dyn BufRead + Send),
    cap: usize,
    /// Index of the next item.
    index: u64,
    /// Line of the next byte.
    line: u64,
    state: ArrayState,
}

impl ArrayItems<'_> {
    /// Skips blank space; the next byte, not consumed, or `None` at the end of the file.
    fn skip_blank(&mut self) -> std::io::Result<Option<u8>> {
        loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                return Ok(None);
            }
            let blank = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
            self.line += buf[..blank].iter().filter(|&&b| b == b'\n').count() as u64;
            let next = buf.get(blank).copied();
            self.reader.consume(blank);
            if next.is_some() {
                return Ok(next);
            }
        }
    }

    /// Skips a UTF-8 byte-order mark at the start (editors such as Notepad write one),
    /// byte by byte: the buffer may hold less than the mark.
    fn skip_byte_order_mark(&mut self) -> std::io::Result<()> {
        for expected in [0xEF, 0xBB, 0xBF] {
            match self.reader.fill_buf()?.first() {
                Some(&b) if b == expected => self.reader.consume(1),
                _ => return Ok(()),
            }
        }
        Ok(())
    }

    /// Reads one item, from its first byte: an object or array up to its closing bracket,
    /// anything else up to (not including) the `,` or `]` that ends it. The bytes are
    /// kept while within the cap. Returns its length, and whether the file ended first.
    fn read_item(&mut self, out: &mut Vec<u8>) -> std::io::Result<(usize, bool)> {
        let (mut depth, mut in_string, mut escaped) = (0u64, false, false);
        let mut len = 0usize;
        loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                return Ok((len, true));
            }
            // Where the item ends in this buffer: after its closing bracket (included), or
            // at the separator after a plain value (not included).
            let mut end = None;
            for (i, &b) in buf.iter().enumerate() {
                if in_string {
                    if escaped {
                        escaped = false;
                    } else if b == b'\\' {
                        escaped = true;
                    } else if b == b'"' {
                        in_string = false;
                    }
                    continue;
                }
                match b {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' if depth > 0 => {
                        depth -= 1;
                        if depth == 0 {
                            end = Some(i + 1);
                            break;
                        }
                    }
                    b',' | b']' if depth == 0 => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let taken = end.unwrap_or(buf.len());
            self.line += buf[..taken].iter().filter(|&&b| b == b'\n').count() as u64;
            len += taken;
            if len <= self.cap {
                out.extend_from_slice(&buf[..taken]);
            } else {
                out.clear();
            }
            self.reader.consume(taken);
            if end.is_some() {
                return Ok((len, false));
            }
        }
    }

    fn broken(&mut self, zh: &str, en: &str) -> Next {
        Next::Skipped {
            end: BatchEnd::Broken {
                number: self.index,
                line: self.line,
                zh: format!("不是有效的 JSON 数组（{zh}）"),
                en: format!("invalid JSON array: {en}"),
            },
            last: true,
        }
    }
}

impl Records for ArrayItems<'_> {
    fn framing(&self) -> Framing {
        Framing::Array
    }

    fn next(&mut self, out: &mut Vec<u8>) -> Next {
        match self.next_item(out) {
            Ok(next) => next,
            Err(error) => Next::Skipped {
                end: BatchEnd::Failed { line: self.line, error },
                last: true,
            },
        }
    }
}

impl ArrayItems<'_> {
    fn next_item(&mut self, out: &mut Vec<u8>) -> std::io::Result<Next> {
        if self.state == ArrayState::Start {
            self.skip_byte_order_mark()?;
        }
        loop {
            let next = self.skip_blank()?;
            match (self.state, next) {
                (ArrayState::Start, Some(b'[')) => {
                    self.reader.consume(1);
                    self.state = ArrayState::First;
                }
                (ArrayState::Start, _) => return Ok(self.broken("应以“[”开始", "expected `[`")),
                (ArrayState::First | ArrayState::AfterItem, Some(b']')) => {
                    self.reader.consume(1);
                    self.state = ArrayState::Done;
                }
                (ArrayState::AfterItem, Some(b',')) => {
                    self.reader.consume(1);
                    self.state = ArrayState::Item;
                }
                (ArrayState::AfterItem, Some(_)) => {
                    return Ok(self.broken("两份问卷之间缺少逗号", "expected `,` or `]` after an item"));
                }
                (ArrayState::First | ArrayState::AfterItem | ArrayState::Item, None) => {
                    return Ok(self.broken(
                        "数组未以“]”结束，文件可能不完整",
                        "the array is not closed by `]`: the file may be cut short",
                    ));
                }
                (ArrayState::Item, Some(b']')) => {
                    return Ok(self.broken("最后一份问卷后多了逗号", "a `,` before the closing `]`"));
                }
                (ArrayState::First | ArrayState::Item, Some(_)) => {
                    let (number, line) = (self.index, self.line);
                    self.index += 1;
                    let (len, cut_short) = self.read_item(out)?;
                    self.state = ArrayState::AfterItem;
                    if len > self.cap {
                        return Ok(Next::Skipped {
                            end: BatchEnd::TooLong { number, line, len },
                            last: cut_short,
                        });
                    }
                    // An item cut short by the end of the file is still parsed: its
                    // error names what is missing, and then the array is not closed.
                    return Ok(Next::Record { number, line });
                }
                (ArrayState::Done, None) => return Ok(Next::End),
                (ArrayState::Done, Some(_)) => {
                    return Ok(self.broken("数组结束后还有内容", "more after the closing `]`"));
                }
            }
        }
    }
}

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
    Some(match parse(text) {
        Ok(shape) => to_return(shape, file, Some(number), "$", modified),
        Err(e) => Received::Unreadable {
            rejections: vec![json_rejection(loc(), &e)],
            location: loc(),
        },
    })
}

/// One item of a JSON array as a return.
fn read_item(record: &Record, file: &str, modified: Option<i64>) -> Received {
    let path = format!("$[{}]", record.number);
    let loc = |at_line: u64| Location::json(file, Some(at_line), path.clone());
    let Ok(text) = std::str::from_utf8(&record.bytes) else {
        return Received::Unreadable {
            rejections: vec![Rejection::file(
                loc(record.line),
                Rule::InvalidJson,
                "此份问卷不是有效的 UTF-8 编码",
                "the return is not valid UTF-8",
            )],
            location: loc(record.line),
        };
    };
    match parse(text) {
        Ok(shape) => to_return(shape, file, None, &path, modified),
        Err(e) => {
            // The error's line counts from the item's first line.
            let at = loc(record.line + (e.line() as u64).saturating_sub(1));
            Received::Unreadable {
                rejections: vec![json_rejection(at.clone(), &e)],
                location: at,
            }
        }
    }
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
    fn a_syntax_error_anywhere_in_a_return_wins_over_a_wrong_shape() {
        // Shape problems are noted while the rest of the value is still read.
        assert_eq!(
            rule_of(&collect_json(r#"{"other":1,"answers":{"a":[{"b":1,"b":2}]}}"#)[0]),
            Rule::DuplicateKey
        );
        // Each item of an array is a return of its own.
        let got = collect_json(r#"[{"answers":5}, {"x":{"y":1e400}}]"#);
        assert_eq!(got.len(), 2);
        assert_eq!(rule_of(&got[0]), Rule::NotAReturn);
        assert_eq!(rule_of(&got[1]), Rule::InvalidJson);
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

    /// What one item gave: `Ok(path)` for a return, `Err((rule, path, line))` for a
    /// rejection.
    type Outcome = Result<String, (Rule, String, Option<u64>)>;

    /// What an array gives, item by item.
    fn outcomes(got: &[Received]) -> Vec<Outcome> {
        got.iter()
            .map(|r| match r {
                Received::Return(ret) => Ok(ret.source.json_path.clone().unwrap_or_default()),
                Received::Unreadable { location, rejections } => Err((
                    rejections[0].rule,
                    location.json_path.clone().unwrap_or_default(),
                    location.line,
                )),
            })
            .collect()
    }

    fn read_array(text: &[u8], limits: &Limits, buffer: usize) -> Vec<Received> {
        let mut out = Vec::new();
        let mut reader = std::io::BufReader::with_capacity(buffer, text);
        read_json_array(&mut reader, "a.json", None, limits, &mut |r| out.push(r));
        out
    }

    #[test]
    fn an_array_streams_return_by_return_and_a_bad_item_costs_only_itself() {
        let text = "\u{feff}  \n[\n {\"answers\":{\"t\":\"a,]}\\\"[{\"}},\n {\"answers\":{\"a\":1,\"a\":2}},\n \"text\",\n {\"answers\":{}}\n]\n";
        let got = read_array(text.as_bytes(), &Limits::default(), 8192);
        assert_eq!(
            outcomes(&got),
            [
                Ok("$[0]".to_owned()),
                Err((Rule::DuplicateKey, "$[1]".to_owned(), Some(4))),
                Err((Rule::NotAReturn, "$[2]".to_owned(), None)),
                Ok("$[3]".to_owned()),
            ]
        );
        // Brackets and commas inside strings, and an escaped quote, do not cut an item.
        let Received::Return(first) = &got[0] else { panic!() };
        assert_eq!(first.answers[0].1.value, RawValue::Text("a,]}\"[{".to_owned()));
        // The same through a buffer of a few bytes: items are cut the same at any
        // buffer boundary.
        for buffer in [1, 2, 3, 7, 64] {
            assert_eq!(
                outcomes(&read_array(text.as_bytes(), &Limits::default(), buffer)),
                outcomes(&got),
                "buffer {buffer}"
            );
        }
    }

    #[test]
    fn an_oversized_item_is_skipped_and_the_rest_kept() {
        let limits = Limits {
            max_json_line_bytes: 100,
            ..Limits::default()
        };
        let text = format!(
            "[{{\"answers\":{{}}}},{{\"answers\":{{\"t\":\"{}\"}}}},{{\"answers\":{{}}}}]",
            "x".repeat(5_000_000)
        );
        let got = read_array(text.as_bytes(), &limits, 8192);
        assert_eq!(
            outcomes(&got),
            [
                Ok("$[0]".to_owned()),
                Err((Rule::TooLarge, "$[1]".to_owned(), Some(1))),
                Ok("$[2]".to_owned()),
            ]
        );
        let Received::Unreadable { rejections, .. } = &got[1] else {
            panic!()
        };
        assert!(
            rejections[0].message_en.contains("5000020 bytes"),
            "{}",
            rejections[0].message_en
        );
    }

    #[test]
    fn a_broken_array_keeps_the_returns_before_the_break() {
        let limits = Limits::default();
        let cases: [(&str, Vec<Outcome>); 6] = [
            // Cut short inside an item: that item's error, then the unclosed array.
            (
                "[{\"answers\":{}},\n{\"answers\":",
                vec![
                    Ok("$[0]".into()),
                    Err((Rule::InvalidJson, "$[1]".into(), Some(2))),
                    Err((Rule::InvalidJson, "$[2]".into(), Some(2))),
                ],
            ),
            // A missing comma.
            (
                "[{\"answers\":{}} {\"answers\":{}}]",
                vec![Ok("$[0]".into()), Err((Rule::InvalidJson, "$[1]".into(), Some(1)))],
            ),
            // A comma before the end.
            (
                "[{\"answers\":{}},]",
                vec![Ok("$[0]".into()), Err((Rule::InvalidJson, "$[1]".into(), Some(1)))],
            ),
            // More after the end.
            (
                "[{\"answers\":{}}]\nx",
                vec![Ok("$[0]".into()), Err((Rule::InvalidJson, "$[1]".into(), Some(2)))],
            ),
            // Empty, and empty with blank space.
            ("[]", vec![]),
            (" [ \n ] \n", vec![]),
        ];
        for (text, expected) in cases {
            assert_eq!(
                outcomes(&read_array(text.as_bytes(), &limits, 8192)),
                expected,
                "{text:?}"
            );
        }
        let got = read_array(b"[{\"answers\":{}} {\"answers\":{}}]", &limits, 8192);
        let Received::Unreadable { rejections, .. } = &got[1] else {
            panic!()
        };
        assert_eq!(
            rejections[0].message_en,
            "invalid JSON array: expected `,` or `]` after an item"
        );
    }

    #[test]
    fn an_array_over_the_return_limit_keeps_the_first_returns() {
        let limits = Limits {
            max_returns_per_file: 2,
            ..Limits::default()
        };
        let got = read_array(b"[{\"answers\":{}},{\"answers\":{}},{\"answers\":{}}]", &limits, 8192);
        assert_eq!(
            outcomes(&got),
            [
                Ok("$[0]".to_owned()),
                Ok("$[1]".to_owned()),
                Err((Rule::TooLarge, "$[2]".to_owned(), Some(1))),
            ]
        );
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
