//! Vetting xlsx files before any parser sees them.
//!
//! Returns come from untrusted enterprises, and a few hundred bytes are enough to take a
//! whole run down: calamine aborts the process (a failed huge allocation, not a panic)
//! on a sheet with cells at `A1` and `XFD1048576`, on `<dimension ref="A1:XFD1048576"/>`
//! and on `<sst uniqueCount="4000000000">`; a 300 KB zip inflates to gigabytes; an XML
//! DOCTYPE can declare entities that expand exponentially. [`check_xlsx`] looks at the
//! zip directory and at the bytes of every part, with bounded memory and without ever
//! inflating more than the [`Limits`] allow, and refuses such files with a [`Refusal`]
//! naming the [`Rule`] and saying why in Chinese and English.
//!
//! The checks, in order:
//!
//! 1. the bytes open as a zip ([`Rule::Damaged`] otherwise, e.g. a truncated download);
//! 2. at most `max_zip_entries` entries ([`Rule::TooLarge`]);
//! 3. the declared inflated sizes add up to at most `max_inflated_bytes`, and no entry
//!    over [`RATIO_EXEMPT_BYTES`] claims to inflate more than `max_compression_ratio`
//!    times its compressed size ([`Rule::TooLarge`], a decompression bomb);
//! 4. no entry is encrypted ([`Rule::Encrypted`]);
//! 5. `[Content_Types].xml` and `xl/workbook.xml` are present
//!    ([`Rule::UnsupportedFormat`]: a `.docx`, `.ods` or any other zip);
//! 6. every entry is inflated, one at a time, through a reader capped at its declared
//!    size (a forged header cannot let more through: [`Rule::Damaged`]) and at what is
//!    left of `max_inflated_bytes`, and its bytes are scanned once:
//!    - a DOCTYPE or entity declaration anywhere: [`Rule::XmlEntities`];
//!    - `<sst uniqueCount="N">` with more strings than the part has room for (4 bytes
//!      each): [`Rule::TooLarge`];
//!    - `<dimension ref="...">` covering more than `max_cells_per_sheet` cells:
//!      [`Rule::TooLarge`];
//!    - the cells of `<sheetData>`: the bounding box of their positions (explicit `r`
//!      references, and the positions calamine infers for cells without one) must cover
//!      at most `max_cells_per_sheet` cells, and there must be no more cells than that
//!      ([`Rule::TooLarge`]); references outside `A1:XFD1048576`, or that do not parse,
//!      and malformed markup inside cells are [`Rule::Damaged`];
//!    - shared formula indices (`<f si="N">`) the part has no room for:
//!      [`Rule::TooLarge`] (calamine sizes a table by the largest index);
//!    - `<mergeCell ref>` and the `ref` of a cell's formula that is not a range inside
//!      the sheet with its first corner first: [`Rule::Damaged`] (calamine subtracts
//!      the corners unchecked).
//! 7. the parts that passed are re-packed, uncompressed, into an in-memory zip
//!    ([`XlsxFacts::stored`]) that calamine opens instead of the original: each part is
//!    inflated once, and calamine parses exactly the bytes that were checked.
//!
//! The scan reads markup the way calamine's XML reader (quick-xml) tokenizes it —
//! elements by their local name, whatever their namespace prefix, comments, CDATA and
//! processing instructions skipped exactly where quick-xml skips them — so what calamine
//! will see is what was checked. Parts are recognised by their content, not their name:
//! the parts calamine reads are found through relationship files an attacker controls.
//! No regular expressions, no allocation per element.
//!
//! Each concern has its own module: `archive` reads the zip directory and inflates the
//! parts within the limits, `scan` tokenizes a part's markup the way quick-xml does and
//! refuses entity declarations, `sheet` follows cell positions, dimensions and ranges as
//! calamine computes them, and `strings` holds the shared strings table to what its
//! part can contain.

mod archive;
mod scan;
mod sheet;
mod strings;
#[cfg(test)]
mod tests;

use crate::limits::Limits;
use crate::rejection::Rule;
use archive::Repacked;
use scan::Root;
use std::fmt;

pub use archive::RATIO_EXEMPT_BYTES;
pub use sheet::{MAX_COLS, MAX_ROWS, cell_ref};

/// Longest piece of hostile text (a part name, an attribute value) quoted in a message.
const MAX_QUOTED: usize = 60;

/// What [`check_xlsx`] learned about a file that passed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XlsxFacts {
    /// Paths of the worksheet parts (parts whose root element is `worksheet`), in zip
    /// order, e.g. `xl/worksheets/sheet1.xml`.
    pub sheets: Vec<String>,
    /// Bytes of all parts, inflated.
    pub inflated_bytes: u64,
    /// The parts as they were checked, re-packed uncompressed ("stored") in a zip of
    /// their own: what calamine should open. Nothing is inflated twice, and calamine
    /// reads exactly the bytes that were checked, not a second inflation of the original.
    /// Empty for a workbook whose parts inflate to more than [`REPACK_MOST`]: holding its
    /// inflated copy for the whole read would cost more memory than inflating it again
    /// costs time, so calamine opens the original (whose every part was checked here,
    /// declared and actual sizes alike).
    pub stored: Vec<u8>,
}

/// Largest inflated size of a workbook whose checked parts are kept, re-packed, for
/// calamine to read: 32 MiB, a hundred times a filled template.
pub const REPACK_MOST: u64 = 32 * 1024 * 1024;

/// Why a file was refused: the rule, and a plain message in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The rule broken: [`Rule::Damaged`], [`Rule::TooLarge`], [`Rule::Encrypted`],
    /// [`Rule::UnsupportedFormat`] or [`Rule::XmlEntities`].
    pub rule: Rule,
    /// Plain message in Chinese.
    pub zh: String,
    /// Plain message in English.
    pub en: String,
}

impl Refusal {
    fn new(rule: Rule, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Refusal {
            rule,
            zh: zh.into(),
            en: en.into(),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.rule.as_str(), self.en)
    }
}

impl std::error::Error for Refusal {}

/// Vets an xlsx file (the whole file, already read and within `max_file_bytes`) before
/// it reaches calamine. See the [module documentation](self) for the checks and their
/// order. Never panics, never inflates more than `limits.max_inflated_bytes`, and holds
/// at most one inflated part in memory at a time.
pub fn check_xlsx(bytes: &[u8], limits: &Limits) -> Result<XlsxFacts, Refusal> {
    let (mut package, declared_total) = archive::open(bytes, limits)?;
    let entries = package.len();

    // Inflate and scan each part in turn, never more than declared nor than the total cap,
    // and re-pack it uncompressed as soon as it has passed.
    let mut buf = Vec::new();
    let mut inflated: u64 = 0;
    let mut sheets = Vec::new();
    let mut stored = (declared_total <= REPACK_MOST).then(|| Repacked::new(declared_total, entries));
    for i in 0..entries {
        let remaining = limits.max_inflated_bytes.saturating_sub(inflated);
        let name = archive::inflate(&mut package, bytes, i, remaining, limits, &mut buf)?;
        inflated += buf.len() as u64;
        let root = scan::scan_part(&buf, &name, limits)?;
        if let Some(stored) = &mut stored {
            stored.add(&name, &buf)?;
        }
        if root == Root::Worksheet {
            sheets.push(name);
        }
    }
    Ok(XlsxFacts {
        sheets,
        inflated_bytes: inflated,
        stored: stored.map(Repacked::finish).transpose()?.unwrap_or_default(),
    })
}

/// Hostile text cut to a readable length for a message.
fn quoted(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    if text.chars().count() <= MAX_QUOTED {
        return text.into_owned();
    }
    let cut: String = text.chars().take(MAX_QUOTED).collect();
    format!("{cut}…")
}
