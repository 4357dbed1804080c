//! The sampling frame: every enterprise of the population with its stratum, read from a
//! CSV file, and the strata (industry section x size class) that weights are built on.
//! Columns the design does not read (a name, a contact person, a telephone, an address)
//! are kept as they are, for the lists that name enterprises; nothing estimated reads them.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use survey_def::Definition;
use survey_def::codes::industry_section;

/// The label of a design stratum: an industry section (GB/T 4754 letter) and a size class code.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StratumLabel {
    /// GB/T 4754-2017 section, `A`-`T`.
    pub section: char,
    /// Size class code from the definition's design, e.g. `small`.
    pub size_class: String,
}

impl std::fmt::Display for StratumLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.section, self.size_class)
    }
}

/// The stratum of an enterprise from its industry code (division or section) and
/// headcount, by the definition's size classes. `None` when either cannot be placed
/// (an unknown code, a headcount below the smallest class).
pub fn stratum_of(def: &Definition, industry: &str, employees: u64) -> Option<StratumLabel> {
    let section = industry_section(industry)?.code;
    let size_class = def.size_class(employees)?.code.clone();
    Some(StratumLabel { section, size_class })
}

/// Why a frame could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The file could not be opened or read.
    #[error("cannot read frame {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The CSV, workbook or I/O error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A column the frame needs is absent.
    #[error("frame {}: no `{column}` column (needs enterprise_id, industry_division or industry_section, and size_class or employees)", path.display())]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: &'static str,
    },
    /// A row that cannot be placed in a stratum.
    #[error("frame {} line {line}: {message}", path.display())]
    BadRow {
        /// The file (and sheet, for a workbook).
        path: PathBuf,
        /// 1-based line of the CSV, or row of the sheet.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// The same enterprise listed twice.
    #[error("frame {} line {line}: enterprise {enterprise_id} is listed twice", path.display())]
    DuplicateEnterprise {
        /// The file.
        path: PathBuf,
        /// 1-based line of the second listing.
        line: u64,
        /// The enterprise.
        enterprise_id: String,
    },
}

/// One enterprise of the population.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameEnterprise {
    /// Unified social credit code, as listed.
    pub enterprise_id: String,
    /// Its stratum.
    pub stratum: StratumLabel,
    /// Its sub-district code, when the frame lists one.
    pub subdistrict: Option<String>,
    /// Its employees, when the frame lists them.
    pub employees: Option<u64>,
    /// Its cells of the frame's further columns ([`Frame::extra_columns`], same order),
    /// trimmed; empty text where the cell is blank.
    pub extra: Vec<String>,
}

/// The population: every enterprise and its stratum.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frame {
    /// Enterprises in file order.
    pub enterprises: Vec<FrameEnterprise>,
    /// Headers of the columns the design does not read (name, contact person, telephone,
    /// address...), in file order. A column with neither a header nor a value is left out.
    pub extra_columns: Vec<String>,
    /// Whether the frame has a `subdistrict` column.
    pub has_subdistrict: bool,
    /// Whether the frame has an `employees` column.
    pub has_employees: bool,
}

impl Frame {
    /// Reads a frame CSV with a header row. Columns are found by name: `enterprise_id`;
    /// `industry_section`, or `industry_division` to derive it; `size_class`, or
    /// `employees` to derive it from the definition's size classes; `subdistrict`
    /// optional. Any other column is kept as it is ([`Frame::extra_columns`]).
    pub fn read_csv(path: &Path, def: &Definition) -> Result<Frame, FrameError> {
        let read = |source| FrameError::Read {
            path: path.to_owned(),
            source: Box::new(source),
        };
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .from_path(path)
            .map_err(read)?;
        let headers: Vec<String> = reader.headers().map_err(read)?.iter().map(str::to_owned).collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(read)?;
            // The line where the record starts (a quoted field may span lines).
            let line = record.position().map_or(rows.len() as u64 + 2, |p| p.line());
            rows.push((line, record.iter().map(str::to_owned).collect()));
        }
        Frame::from_rows(path, def, &headers, &rows)
    }

    /// Reads the first sheet of an `.xlsx` frame: a header row, then one enterprise per
    /// row, with the columns of [`Frame::read_csv`]. The file is vetted like a return
    /// (zip bomb, entity expansion, huge dimensions) before it is opened.
    pub fn read_xlsx(path: &Path, def: &Definition) -> Result<Frame, FrameError> {
        use calamine::{Data, Reader, Xlsx};
        let read = |source: Box<dyn std::error::Error + Send + Sync>| FrameError::Read {
            path: path.to_owned(),
            source,
        };
        let bytes = std::fs::read(path).map_err(|e| read(Box::new(e)))?;
        let limits = survey_parse::Limits::default();
        // calamine reads the parts the guard checked, not a second inflation of the file.
        let vetted = survey_parse::guard::check_xlsx(&bytes, &limits).map_err(|e| read(Box::new(e)))?;
        let mut workbook = Xlsx::new(std::io::Cursor::new(&vetted.stored[..])).map_err(|e| read(Box::new(e)))?;
        let first = workbook
            .sheet_names()
            .first()
            .cloned()
            .ok_or_else(|| read("the workbook has no sheet".into()))?;
        let range = workbook.worksheet_range(&first).map_err(|e| read(Box::new(e)))?;
        let text = |cell: &Data| match cell {
            Data::Empty => String::new(),
            // Whole numbers (employees, division codes typed as numbers) without ".0".
            Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            other => other.to_string(),
        };
        // Rows are numbered as the sheet shows them (the range starts at its first cell).
        let first_row = range.start().map_or(0, |(row, _)| u64::from(row));
        let mut rows = range
            .rows()
            .enumerate()
            .map(|(i, r)| (first_row + i as u64 + 1, r.iter().map(text).collect::<Vec<String>>()));
        let (_, headers) = rows.next().ok_or_else(|| read("the first sheet is empty".into()))?;
        let rows: Vec<(u64, Vec<String>)> = rows.filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty())).collect();
        // Problems name the sheet as well as the file.
        let place = PathBuf::from(format!("{} [sheet {first}]", path.display()));
        Frame::from_rows(&place, def, &headers, &rows)
    }

    /// A frame from a header and rows of text (line numbers count the header as line 1).
    fn from_rows(
        path: &Path,
        def: &Definition,
        headers: &[String],
        rows: &[(u64, Vec<String>)],
    ) -> Result<Frame, FrameError> {
        let col = |name: &str| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
        let id_col = col("enterprise_id").ok_or(FrameError::MissingColumn {
            path: path.to_owned(),
            column: "enterprise_id",
        })?;
        let (section_col, division_col) = (col("industry_section"), col("industry_division"));
        if section_col.is_none() && division_col.is_none() {
            return Err(FrameError::MissingColumn {
                path: path.to_owned(),
                column: "industry_section",
            });
        }
        let (class_col, employees_col) = (col("size_class"), col("employees"));
        if class_col.is_none() && employees_col.is_none() {
            return Err(FrameError::MissingColumn {
                path: path.to_owned(),
                column: "size_class",
            });
        }
        let subdistrict_col = col("subdistrict");
        let read = [
            Some(id_col),
            section_col,
            division_col,
            class_col,
            employees_col,
            subdistrict_col,
        ];
        // Every other column, unless it is wholly blank (a sheet's used range can run past
        // the last real column).
        let blank = |text: &str| text.trim().is_empty();
        let extra_cols: Vec<usize> = (0..headers.len())
            .filter(|&c| !read.contains(&Some(c)))
            .filter(|&c| !blank(&headers[c]) || rows.iter().any(|(_, r)| r.get(c).is_some_and(|t| !blank(t))))
            .collect();
        let known_classes: HashSet<&str> = def
            .design()
            .map(|d| d.size_classes.iter().map(|c| c.code.as_str()).collect())
            .unwrap_or_default();
        let mut seen = HashSet::new();
        let mut enterprises = Vec::new();
        for (line, record) in rows {
            let line = *line;
            let bad = |message: String| FrameError::BadRow {
                path: path.to_owned(),
                line,
                message,
            };
            let field = |c: Option<usize>| {
                c.and_then(|c| record.get(c))
                    .map(|s| s.trim())
                    .filter(|s| !s.is_empty())
            };
            let enterprise_id = field(Some(id_col))
                .ok_or_else(|| bad("no enterprise_id".into()))?
                .to_owned();
            let industry = field(section_col)
                .or(field(division_col))
                .ok_or_else(|| bad("no industry".into()))?;
            let section = industry_section(industry)
                .ok_or_else(|| bad(format!("`{industry}` is not a GB/T 4754-2017 section or division")))?
                .code;
            // Employees place an enterprise in its size class when the frame has no class,
            // and count what uncovered strata leave out either way.
            let employees_text = field(employees_col);
            let employees = employees_text.and_then(|text| text.parse::<u64>().ok());
            let size_class = match (field(class_col), employees) {
                (Some(class), _) if known_classes.contains(class) => class.to_owned(),
                (Some(class), _) => return Err(bad(format!("`{class}` is not a size class of the definition"))),
                (None, Some(employees)) => def
                    .size_class(employees)
                    .ok_or_else(|| bad(format!("{employees} employees fits no size class")))?
                    .code
                    .clone(),
                (None, None) => {
                    return Err(bad(match employees_text {
                        Some(text) => format!("employees `{text}` is not a whole number"),
                        None => "no size_class or employees".into(),
                    }));
                }
            };
            if !seen.insert(enterprise_id.to_ascii_uppercase()) {
                return Err(FrameError::DuplicateEnterprise {
                    path: path.to_owned(),
                    line,
                    enterprise_id,
                });
            }
            enterprises.push(FrameEnterprise {
                enterprise_id,
                stratum: StratumLabel { section, size_class },
                subdistrict: field(subdistrict_col).map(str::to_owned),
                employees,
                extra: extra_cols
                    .iter()
                    .map(|&c| record.get(c).map_or_else(String::new, |t| t.trim().to_owned()))
                    .collect(),
            });
        }
        Ok(Frame {
            enterprises,
            extra_columns: extra_cols.iter().map(|&c| headers[c].trim().to_owned()).collect(),
            has_subdistrict: subdistrict_col.is_some(),
            has_employees: employees_col.is_some(),
        })
    }

    /// Index in [`Frame::extra_columns`] (and each enterprise's `extra`) of the further
    /// column headed `name`, ignoring case and surrounding spaces.
    pub fn extra_column(&self, name: &str) -> Option<usize> {
        self.extra_columns
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name.trim()))
    }

    /// N_h: enterprises per stratum.
    pub fn stratum_counts(&self) -> BTreeMap<StratumLabel, u64> {
        let mut counts = BTreeMap::new();
        for e in &self.enterprises {
            *counts.entry(e.stratum.clone()).or_default() += 1;
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn definition() -> Definition {
        survey_def::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../survey-defs/spring-2024.toml")).unwrap()
    }

    fn frame(text: &str) -> Result<Frame, FrameError> {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        Frame::read_csv(file.path(), &definition())
    }

    #[test]
    fn strata_come_from_sections_and_size_classes() {
        let f = frame(
            "enterprise_id,industry_division,employees,subdistrict\n\
             A1,65,8,wujiaochang\nA2,64,120,yinhang\nA3,34,9,\nA4,C,300,daqiao\n",
        )
        .unwrap();
        let counts = f.stratum_counts();
        let s = |section, class: &str| StratumLabel {
            section,
            size_class: class.into(),
        };
        assert_eq!(counts[&s('I', "micro")], 1);
        assert_eq!(counts[&s('I', "medium")], 1);
        assert_eq!(counts[&s('C', "micro")], 1);
        assert_eq!(counts[&s('C', "large")], 1);
        assert_eq!(f.enterprises[2].subdistrict, None);
    }

    #[test]
    fn columns_the_design_does_not_read_are_kept_in_file_order() {
        let f = frame(
            "name,enterprise_id,industry_division,联系人,employees,phone,,subdistrict\n\
             Alpha Ltd,A1,65, 王伟 ,8,021-65000000,,wujiaochang\n\
             Beta Ltd,A2,64,,120,,,\n",
        )
        .unwrap();
        // The wholly blank column is left out; the read ones are not repeated.
        assert_eq!(f.extra_columns, ["name", "联系人", "phone"]);
        assert_eq!(f.enterprises[0].extra, ["Alpha Ltd", "王伟", "021-65000000"]);
        assert_eq!(f.enterprises[1].extra, ["Beta Ltd", "", ""]);
        assert_eq!(f.extra_column(" Name "), Some(0));
        assert_eq!(f.extra_column("address"), None);
        assert!(f.has_subdistrict && f.has_employees);
        // The strata are those of the same frame without them.
        let plain =
            frame("enterprise_id,industry_division,employees,subdistrict\nA1,65,8,wujiaochang\nA2,64,120,\n").unwrap();
        assert_eq!(f.stratum_counts(), plain.stratum_counts());
        assert!(plain.extra_columns.is_empty() && plain.enterprises.iter().all(|e| e.extra.is_empty()));
        let without = frame("enterprise_id,industry_section,size_class\nA1,I,micro\n").unwrap();
        assert!(!without.has_subdistrict && !without.has_employees);
    }

    #[test]
    fn unusable_rows_name_their_line() {
        let err = frame("enterprise_id,industry_section,size_class\nA1,I,micro\nA2,Z,micro\n").unwrap_err();
        assert!(matches!(err, FrameError::BadRow { line: 3, .. }), "{err}");
        let err = frame("enterprise_id,industry_section,size_class\nA1,I,micro\na1,I,micro\n").unwrap_err();
        assert!(matches!(err, FrameError::DuplicateEnterprise { line: 3, .. }), "{err}");
        let err = frame("enterprise_id,size_class\nA1,micro\n").unwrap_err();
        assert!(
            matches!(
                err,
                FrameError::MissingColumn {
                    column: "industry_section",
                    ..
                }
            ),
            "{err}"
        );
        let err = frame("enterprise_id,industry_section,size_class\nA1,I,huge\n").unwrap_err();
        assert!(err.to_string().contains("huge"), "{err}");
    }

    #[test]
    fn an_xlsx_frame_reads_like_a_csv_one() {
        use rust_xlsxwriter::Workbook;
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        let rows: [[&str; 4]; 3] = [
            ["enterprise_id", "industry_division", "employees", "phone"],
            ["A1", "65", "8", "13800000000"],
            ["A2", "34", "120", "021-65000000"],
        ];
        for (r, row) in rows.iter().enumerate() {
            for (c, value) in row.iter().enumerate() {
                // Numbers typed as numbers, the way a frame exported from a register looks.
                match value.parse::<f64>() {
                    Ok(n) => sheet.write_number(r as u32, c as u16, n).map(|_| ()),
                    Err(_) => sheet.write_string(r as u32, c as u16, *value).map(|_| ()),
                }
                .unwrap();
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("frame.xlsx");
        book.save(&path).unwrap();
        let f = Frame::read_xlsx(&path, &definition()).unwrap();
        assert_eq!(f.enterprises.len(), 2);
        assert_eq!(f.enterprises[0].stratum.to_string(), "I/micro");
        assert_eq!(f.enterprises[1].stratum.to_string(), "C/medium");
        // A telephone typed as a number reads as its digits.
        assert_eq!(f.extra_columns, ["phone"]);
        assert_eq!(f.enterprises[0].extra, ["13800000000"]);
        assert_eq!(f.enterprises[1].extra, ["021-65000000"]);
        // A row that cannot be placed is named by its sheet and its row as the sheet shows
        // it, blank rows above it included.
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        for (c, h) in ["enterprise_id", "industry_division", "employees"].iter().enumerate() {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        sheet.write_string(1, 0, "A1").unwrap();
        sheet.write_string(1, 1, "65").unwrap();
        sheet.write_number(1, 2, 8).unwrap();
        sheet.write_string(3, 0, "A2").unwrap();
        sheet.write_string(3, 1, "99").unwrap();
        sheet.write_number(3, 2, 8).unwrap();
        book.save(&path).unwrap();
        let err = Frame::read_xlsx(&path, &definition()).unwrap_err();
        assert!(matches!(err, FrameError::BadRow { line: 4, .. }), "{err}");
        assert!(err.to_string().contains("[sheet Sheet1]"), "{err}");
        // A file that is not a workbook is a read error naming the file, not a panic.
        std::fs::write(&path, b"PK\x03\x04 not really").unwrap();
        let err = Frame::read_xlsx(&path, &definition()).unwrap_err();
        assert!(err.to_string().contains("frame.xlsx"), "{err}");
    }

    #[test]
    fn the_shipped_frame_reads_and_covers_its_population() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-data/frame.csv");
        let f = Frame::read_csv(&path, &definition()).unwrap();
        assert_eq!(f.enterprises.len(), 500);
        assert!(f.extra_column("name").is_some());
        assert_eq!(f.stratum_counts().values().sum::<u64>(), 500);
    }
}
