//! OpenDocument (`.ods`) and old binary Excel (`.xls`) workbooks, read in a child process.
//!
//! calamine reads both whole, with no streaming cell reader, and sizes some of its buffers
//! from counts the file declares (an `.xls` DIMENSIONS record, `.ods` repeat counts): a
//! small hostile file can make it allocate gigabytes and abort the process, which no
//! check of ours could catch as a panic. So these files are read by a child process (the
//! program itself, through a hidden subcommand that calls [`serve`]) under an
//! address-space limit and a time limit. The child writes the sheets' non-empty cells as
//! MessagePack; whatever happens to it — a refusal, an abort, a kill at the limit — the
//! parent turns into a named rejection of that one file, and the run goes on.
//!
//! A program that does not register its child command ([`set_child_command`]) reads these
//! files in its own process, as a library user would: the checks on cell counts still
//! apply, the memory limit does not.

use crate::limits::Limits;
use crate::raw::RawValue;
use crate::rejection::Rule;
use calamine::{Data, Reader};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

/// Cells of one sheet, by (row, column).
pub type SheetCells = BTreeMap<(u32, u32), RawValue>;

/// A workbook format read in a child process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkbookKind {
    /// OpenDocument spreadsheet (LibreOffice, WPS).
    Ods,
    /// Excel 97-2003 binary workbook.
    Xls,
}

impl WorkbookKind {
    /// The name the child command takes.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkbookKind::Ods => "ods",
            WorkbookKind::Xls => "xls",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<WorkbookKind> {
        match name {
            "ods" => Some(WorkbookKind::Ods),
            "xls" => Some(WorkbookKind::Xls),
            _ => None,
        }
    }
}

/// How to start the child that reads a workbook: a program and the arguments before the
/// workbook's own (kind, path, limits).
#[derive(Debug, Clone)]
pub struct ChildCommand {
    /// The program, usually the running executable.
    pub program: PathBuf,
    /// Arguments naming the hidden subcommand.
    pub args: Vec<OsString>,
}

static CHILD: OnceLock<ChildCommand> = OnceLock::new();

/// Registers how to start the child reader; called once, at the start of the program.
pub fn set_child_command(command: ChildCommand) {
    let _ = CHILD.set(command);
}

/// Longest a child may take to read one workbook.
pub const CHILD_SECONDS: u64 = 120;

/// Exit code of a child that refused the workbook as too large (its message on stderr).
const EXIT_TOO_LARGE: i32 = 3;
/// Exit code of a child that could not read the workbook (its message on stderr).
const EXIT_DAMAGED: i32 = 4;
/// Exit code of a child that found the workbook password-protected.
const EXIT_ENCRYPTED: i32 = 5;

/// One sheet as the child sends it.
#[derive(Debug, Serialize, Deserialize)]
struct Sheet {
    name: String,
    cells: Vec<(u32, u32, RawValue)>,
}

/// Why a workbook was not read: the rule and the message, in both languages.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// The rule.
    pub rule: Rule,
    /// Chinese message.
    pub zh: String,
    /// English message.
    pub en: String,
}

fn refusal(rule: Rule, zh: impl Into<String>, en: impl Into<String>) -> Refusal {
    Refusal {
        rule,
        zh: zh.into(),
        en: en.into(),
    }
}

/// The sheets of the workbook at `path` (in workbook order) with their non-empty cells,
/// read in a child process when one is registered.
pub fn read_sheets(path: &Path, kind: WorkbookKind, limits: &Limits) -> Result<Vec<(String, SheetCells)>, Refusal> {
    let sheets = match CHILD.get() {
        Some(command) => read_in_child(command, path, kind, limits)?,
        None => {
            let bytes = std::fs::read(path).map_err(|e| {
                refusal(
                    Rule::Unreadable,
                    format!("无法读取文件：{e}"),
                    format!("cannot read the file: {e}"),
                )
            })?;
            dump(bytes, kind, limits).map_err(|(code, message)| child_refusal(code, &message, kind))?
        }
    };
    Ok(sheets
        .into_iter()
        .map(|s| (s.name, s.cells.into_iter().map(|(r, c, v)| ((r, c), v)).collect()))
        .collect())
}

fn read_in_child(
    command: &ChildCommand,
    path: &Path,
    kind: WorkbookKind,
    limits: &Limits,
) -> Result<Vec<Sheet>, Refusal> {
    let memory = crate::memory::per_file(limits.max_memory);
    let mut child = std::process::Command::new(&command.program);
    child
        .args(&command.args)
        .arg(kind.as_str())
        .arg(path)
        .arg(limits.max_cells_per_sheet.to_string())
        .arg(limits.max_text_chars.to_string())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // The child's heap may not grow past the budget of one file: an allocation
        // beyond it fails in the child, which dies of it alone.
        let limit = libc::rlimit {
            rlim_cur: memory as libc::rlim_t,
            rlim_max: memory as libc::rlim_t,
        };
        // SAFETY: setrlimit is async-signal-safe and touches only the child.
        unsafe {
            child.pre_exec(move || {
                if libc::setrlimit(libc::RLIMIT_DATA, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let started = child.spawn().map_err(|e| {
        refusal(
            Rule::Unreadable,
            format!("无法启动读取进程：{e}"),
            format!("cannot start the reading process: {e}"),
        )
    });
    let mut started = started?;
    let (Some(stdout), Some(stderr)) = (started.stdout.take(), started.stderr.take()) else {
        let _ = started.kill();
        let _ = started.wait();
        return Err(refusal(
            Rule::Unreadable,
            "无法读取子进程输出",
            "cannot read the reading process's output",
        ));
    };
    // Drained on threads while the child runs, so a full pipe never stalls it. The cells
    // take about four times their encoded size once read here, so at most a quarter of
    // the budget of one file is taken; a workbook with more is refused.
    let most = memory / 4;
    let out = std::thread::spawn(move || {
        let mut stdout = stdout;
        let mut bytes = Vec::new();
        (&mut stdout).take(most + 1).read_to_end(&mut bytes)?;
        // The rest is read and dropped, so the child is never left blocked on the pipe.
        std::io::copy(&mut stdout, &mut std::io::sink())?;
        Ok::<_, std::io::Error>(bytes)
    });
    let err = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stderr.take(64 * 1024).read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).trim().to_owned()
    });
    let status = wait_timeout::ChildExt::wait_timeout(&mut started, Duration::from_secs(CHILD_SECONDS));
    let status = match status {
        Ok(Some(status)) => status,
        Ok(None) | Err(_) => {
            let _ = started.kill();
            let _ = started.wait();
            let _ = out.join();
            let _ = err.join();
            return Err(refusal(
                Rule::TooLarge,
                format!("读取此工作簿超过 {CHILD_SECONDS} 秒，已停止"),
                format!("reading the workbook took longer than {CHILD_SECONDS} s and was stopped"),
            ));
        }
    };
    let bytes = out.join().ok().and_then(Result::ok).unwrap_or_default();
    let message = err.join().unwrap_or_default();
    if bytes.len() as u64 > most {
        let mb = memory.div_ceil(1024 * 1024);
        return Err(refusal(
            Rule::TooLarge,
            format!("工作簿的单元格过多，读入后超过每个文件可用的 {mb} MB 内存（--max-memory）"),
            format!("the workbook holds more cells than fit in the {mb} MB of memory a file may use (--max-memory)"),
        ));
    }
    match status.code() {
        Some(0) => rmp_serde::from_slice(&bytes).map_err(|e| {
            refusal(
                Rule::Damaged,
                format!("读取进程的输出无法解读：{e}"),
                format!("the reading process's output cannot be decoded: {e}"),
            )
        }),
        Some(code @ (EXIT_TOO_LARGE | EXIT_DAMAGED | EXIT_ENCRYPTED)) => Err(child_refusal(code, &message, kind)),
        // Killed by a signal, or died of an allocation past its limit.
        _ => {
            let mb = memory.div_ceil(1024 * 1024);
            Err(refusal(
                Rule::TooLarge,
                format!("读取此工作簿所需内存超过 {mb} MB（--max-memory），已停止"),
                format!("reading the workbook needed more than {mb} MB of memory (--max-memory) and was stopped"),
            ))
        }
    }
}

fn child_refusal(code: i32, message: &str, kind: WorkbookKind) -> Refusal {
    match code {
        EXIT_TOO_LARGE => refusal(Rule::TooLarge, message, message),
        EXIT_ENCRYPTED => refusal(
            Rule::Encrypted,
            "工作簿设有密码，无法读取；请去除密码后重新提交",
            "the workbook is password-protected; remove the password and send it again",
        ),
        _ => {
            let what = match kind {
                WorkbookKind::Ods => "OpenDocument",
                WorkbookKind::Xls => ".xls",
            };
            refusal(
                Rule::Damaged,
                format!("{what} 工作簿已损坏：{message}"),
                format!("the {what} workbook is damaged: {message}"),
            )
        }
    }
}

/// The child's side: reads the workbook at `path` and writes its sheets to stdout.
/// Returns the process's exit code (0, or a refusal with its message on stderr).
pub fn serve(kind: &str, path: &Path, max_cells: &str, max_text_chars: &str) -> i32 {
    let (Some(kind), Ok(max_cells), Ok(max_text_chars)) = (
        WorkbookKind::parse(kind),
        max_cells.parse::<u64>(),
        max_text_chars.parse::<usize>(),
    ) else {
        eprintln!("usage: KIND(ods|xls) PATH MAX_CELLS MAX_TEXT_CHARS");
        return EXIT_DAMAGED;
    };
    let limits = Limits {
        max_cells_per_sheet: max_cells,
        max_text_chars,
        ..Limits::default()
    };
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_DAMAGED;
        }
    };
    match dump(bytes, kind, &limits) {
        Ok(sheets) => match rmp_serde::to_vec(&sheets) {
            Ok(out) => {
                use std::io::Write;
                let mut stdout = std::io::stdout().lock();
                if stdout.write_all(&out).and_then(|()| stdout.flush()).is_err() {
                    return EXIT_DAMAGED;
                }
                0
            }
            Err(e) => {
                eprintln!("{e}");
                EXIT_DAMAGED
            }
        },
        Err((code, message)) => {
            eprintln!("{message}");
            code
        }
    }
}

/// Every sheet's non-empty cells, within the cell and text limits.
fn dump(bytes: Vec<u8>, kind: WorkbookKind, limits: &Limits) -> Result<Vec<Sheet>, (i32, String)> {
    match kind {
        WorkbookKind::Ods => match calamine::Ods::new(Cursor::new(bytes)) {
            Ok(mut book) => sheets_of(&mut book, limits),
            Err(calamine::OdsError::Password) => Err((EXIT_ENCRYPTED, String::new())),
            // calamine's own cap on the cells a sheet's repeat counts ask for.
            Err(e @ calamine::OdsError::CellLimitExceeded { .. }) => Err((EXIT_TOO_LARGE, e.to_string())),
            Err(e) => Err((EXIT_DAMAGED, e.to_string())),
        },
        WorkbookKind::Xls => match calamine::Xls::new(Cursor::new(bytes)) {
            Ok(mut book) => sheets_of(&mut book, limits),
            Err(calamine::XlsError::Password) => Err((EXIT_ENCRYPTED, String::new())),
            Err(e) => Err((EXIT_DAMAGED, e.to_string())),
        },
    }
}

fn sheets_of<R: Reader<Cursor<Vec<u8>>>>(book: &mut R, limits: &Limits) -> Result<Vec<Sheet>, (i32, String)>
where
    R::Error: std::fmt::Display,
{
    let mut sheets = Vec::new();
    for name in book.sheet_names() {
        let range = book
            .worksheet_range(&name)
            .map_err(|e| (EXIT_DAMAGED, format!("sheet `{name}`: {e}")))?;
        let (rows, cols) = range.get_size();
        if (rows as u64).saturating_mul(cols as u64) > limits.max_cells_per_sheet {
            return Err((
                EXIT_TOO_LARGE,
                format!(
                    "sheet `{name}` spans {rows} rows by {cols} columns, more than {} cells",
                    limits.max_cells_per_sheet
                ),
            ));
        }
        let (top, left) = range.start().unwrap_or((0, 0));
        let mut cells = Vec::new();
        for (r, c, value) in range.used_cells() {
            let mut value = raw_value(value);
            if let RawValue::Text(t) = &mut value {
                // One character past the limit: enough to reject it, no more.
                if let Some((cut, _)) = t.char_indices().nth(limits.max_text_chars + 1) {
                    t.truncate(cut);
                }
            }
            if !value.is_blank() {
                cells.push((top + r as u32, left + c as u32, value));
            }
        }
        sheets.push(Sheet { name, cells });
    }
    Ok(sheets)
}

fn raw_value(v: &Data) -> RawValue {
    match v {
        Data::Int(i) => RawValue::Number(*i as f64),
        Data::Float(f) => RawValue::Number(*f),
        Data::String(s) => RawValue::Text(s.clone()),
        Data::Bool(b) => RawValue::Bool(*b),
        Data::DateTime(dt) => RawValue::ExcelDate(dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => RawValue::Text(s.clone()),
        Data::Error(e) => RawValue::CellError(e.to_string()),
        Data::Empty => RawValue::Empty,
    }
}
