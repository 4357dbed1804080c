//! `labor-survey`: the command-line front of the survey engine.
//!
//! A thin shell: it parses arguments, calls the library crates, writes their output
//! atomically and maps failures to messages and exit codes. Survey logic lives in the
//! libraries (`survey-def`, `survey-forms`).

use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use survey_def::{DefinitionError, Lang};

/// Exit code: the definition (or input) has problems.
const EXIT_PROBLEMS: u8 = 1;
/// Exit code: the command could not run (unreadable input, unwritable output).
const EXIT_FAILURE: u8 = 2;

#[derive(Parser)]
#[command(
    name = "labor-survey",
    version,
    about = "Employer labor-demand surveys: definitions, questionnaires, returns, reports"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LangArg {
    /// Simplified Chinese
    Zh,
    /// English
    En,
}

impl From<LangArg> for Lang {
    fn from(l: LangArg) -> Lang {
        match l {
            LangArg::Zh => Lang::Zh,
            LangArg::En => Lang::En,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    /// `file:line:col: error[code]: message` lines with hints
    Text,
    /// One JSON object per problem, one per line
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Load and check definitions; report every problem with file, line, column and a hint.
    ///
    /// Exits 0 when every definition is clean, 1 when any has a problem.
    Check {
        /// Definition files (TOML).
        #[arg(required = true)]
        definitions: Vec<PathBuf>,
        /// How problems are printed.
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
    },
    /// Write the blank questionnaire workbook enterprises fill in.
    Template {
        /// Definition file.
        definition: PathBuf,
        /// Output `.xlsx` file.
        #[arg(short, long)]
        output: PathBuf,
        /// Language of the labels.
        #[arg(long, value_enum, default_value_t = LangArg::Zh)]
        lang: LangArg,
    },
    /// Write the JSON Schema (draft 2020-12) that a JSON return satisfies.
    Schema {
        /// Definition file.
        definition: PathBuf,
        /// Output `.json` file.
        #[arg(short, long)]
        output: PathBuf,
        /// Language of titles and descriptions.
        #[arg(long, value_enum, default_value_t = LangArg::En)]
        lang: LangArg,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { definitions, format } => check(&definitions, format),
        Command::Template {
            definition,
            output,
            lang,
        } => with_definition(&definition, |def| {
            let bytes = survey_forms::write_template(def, lang.into()).map_err(|e| e.to_string())?;
            write_atomically(&output, &bytes)?;
            eprintln!(
                "wrote {} ({} v{})",
                output.display(),
                def.spec.survey.id,
                def.spec.survey.version
            );
            Ok(())
        }),
        Command::Schema {
            definition,
            output,
            lang,
        } => with_definition(&definition, |def| {
            let schema = survey_forms::json_schema(def, lang.into());
            let mut bytes = serde_json::to_vec_pretty(&schema).map_err(|e| e.to_string())?;
            bytes.push(b'\n');
            write_atomically(&output, &bytes)?;
            eprintln!("wrote {}", output.display());
            Ok(())
        }),
    }
}

fn check(paths: &[PathBuf], format: ReportFormat) -> ExitCode {
    let mut failed = false;
    for path in paths {
        match survey_def::load(path) {
            Ok(def) => {
                if matches!(format, ReportFormat::Text) {
                    eprintln!(
                        "{}: ok ({} v{}, {} questions, {} risk rules, {} policies, fingerprint {})",
                        path.display(),
                        def.spec.survey.id,
                        def.spec.survey.version,
                        def.questions().len(),
                        def.risk_rules().len(),
                        def.policies().len(),
                        def.short_fingerprint()
                    );
                }
            }
            Err(DefinitionError::Invalid { problems, .. }) => {
                failed = true;
                let mut out = std::io::stdout().lock();
                for p in &problems {
                    let line = match format {
                        ReportFormat::Text => p.to_string(),
                        ReportFormat::Json => serde_json::json!({
                            "file": p.file.display().to_string(),
                            "line": p.at.line,
                            "column": p.at.column,
                            "code": p.kind.as_str(),
                            "message": p.message,
                            "hint": p.hint,
                        })
                        .to_string(),
                    };
                    let _ = writeln!(out, "{line}");
                }
                eprintln!("{}: {} problem(s)", path.display(), problems.len());
            }
            Err(other) => {
                failed = true;
                eprintln!("error: {other}");
            }
        }
    }
    if failed {
        ExitCode::from(EXIT_PROBLEMS)
    } else {
        ExitCode::SUCCESS
    }
}

/// Loads a definition and runs `job` on it; an invalid definition lists its problems.
fn with_definition(path: &Path, job: impl FnOnce(&survey_def::Definition) -> Result<(), String>) -> ExitCode {
    match survey_def::load(path) {
        Ok(def) => match job(&def) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::from(EXIT_FAILURE)
            }
        },
        Err(DefinitionError::Invalid { problems, .. }) => {
            for p in &problems {
                eprintln!("{p}");
            }
            eprintln!(
                "error: {} has {} problem(s); run `labor-survey check` after fixing them",
                path.display(),
                problems.len()
            );
            ExitCode::from(EXIT_PROBLEMS)
        }
        Err(other) => {
            eprintln!("error: {other}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

/// Writes `bytes` to a temporary file beside `path` and renames it into place, so a
/// reader never sees a half-written file under the final name.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".labor-survey-")
        .tempfile_in(dir)
        .map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
    tmp.write_all(bytes)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    // Temporary files are created private (0600); an output is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    tmp.persist(path)
        .map_err(|e| format!("cannot write {}: {}", path.display(), e.error))?;
    Ok(())
}
