//! `labor-survey`: the command-line front of the survey engine.
//!
//! A thin shell: it parses arguments, calls the library crates, writes their output
//! atomically and maps failures to messages and exit codes. Survey logic lives in the
//! libraries (`survey-def`, `survey-forms`, `survey-parse`, `survey-analysis`,
//! `survey-pipeline`).

mod run;

use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use survey_def::contract::Verdict;
use survey_def::{Definition, DefinitionError, Lang};

/// Exit code: the command ran and found something: problems in a definition checked,
/// returns that cannot be read under it, a failed quality gate, rejected returns with
/// `--strict`.
const EXIT_PROBLEMS: u8 = 1;
/// Exit code: the command could not run: a broken definition given to any command but
/// `check`, a missing input, an unwritable output.
const EXIT_FAILURE: u8 = 2;

/// The exit policy, shown under every command's `--help`.
const EXIT_HELP: &str = "Exit status: 0 done; 1 findings (problems found by `check`, a failed gate of `run`, rejected returns with `ingest --strict`); 2 cannot run (a broken definition given to any other command, a missing input, an unwritable output).";

/// mimalloc rather than the system allocator: returns are parsed and checked as many
/// small strings on every core at once, often freed on another thread than the one that
/// allocated them, where glibc's allocator spends a fifth of the time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "labor-survey",
    version,
    about = "Employer labor-demand surveys: definitions, questionnaires, returns, reports",
    after_help = EXIT_HELP
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
    #[command(after_help = EXIT_HELP)]
    Check {
        /// Definition files (TOML).
        #[arg(required = true)]
        definitions: Vec<PathBuf>,
        /// How problems are printed.
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
        /// An earlier definition: say whether returns made from it still read under each
        /// definition checked (compatible, readable with a mapping, or not), and list every
        /// difference. Exits 1 when they cannot be read.
        #[arg(long, value_name = "OLD.toml")]
        against: Option<PathBuf>,
    },
    /// Write the blank questionnaire workbook enterprises fill in.
    #[command(after_help = EXIT_HELP)]
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
    /// Read returned questionnaires into one checked dataset, accounting for every return.
    ///
    /// Writes responses.parquet, one Parquet file per repeating table, rejects.xlsx,
    /// rejects.jsonl and ingest.json into OUT_DIR. Exits 0 (1 with --strict when any
    /// return is rejected; 2 when the run cannot complete).
    #[command(after_help = EXIT_HELP)]
    Ingest {
        /// Definition file.
        definition: PathBuf,
        /// Return files and folders (walked recursively): .xlsx/.xlsm, .json, .jsonl.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Output folder.
        #[arg(short, long)]
        output: PathBuf,
        /// Worker threads (default: all cores).
        #[arg(long)]
        jobs: Option<usize>,
        /// Exit 1 when any return is rejected.
        #[arg(long)]
        strict: bool,
        /// Do not show a progress bar.
        #[arg(long)]
        quiet: bool,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Estimate from an ingested dataset and write the report workbooks.
    ///
    /// Writes sector-demand.xlsx, risk-flags.xlsx (for officials only), policy-reach.xlsx
    /// and summary.json into REPORT_DIR. With --frame the estimates are weighted to the
    /// frame's population (strata: section x size class), and chase.xlsx (for officials
    /// only) lists the frame enterprises without an accepted return; without, they
    /// describe the respondents only. Exits 0, or 2 when the analysis cannot run.
    #[command(after_help = EXIT_HELP)]
    Analyze {
        /// Definition file.
        definition: PathBuf,
        /// Dataset folder written by `ingest`.
        dataset: PathBuf,
        /// Report folder.
        #[arg(short, long)]
        output: PathBuf,
        /// Sampling frame (.csv or .xlsx): enterprise_id, industry_division or
        /// industry_section, size_class or employees, optional subdistrict.
        #[arg(long)]
        frame: Option<PathBuf>,
        /// Dataset folder of the previous wave: wave-over-wave change, outliers, new flags,
        /// the previous wave's headline figures and `previous()` in risk rules.
        #[arg(long)]
        previous: Option<PathBuf>,
        /// Definition the previous wave was ingested with, when it is not DEFINITION (an
        /// earlier survey with other question ids): the waves are matched by their roles.
        #[arg(long, value_name = "PREV.toml", requires = "previous")]
        previous_definition: Option<PathBuf>,
        /// Enterprises whose id changed since the previous wave: a CSV file with the header
        /// previous_id,current_id.
        #[arg(long, value_name = "FILE.csv", requires = "previous")]
        previous_ids: Option<PathBuf>,
        /// Response rate (a share, 0 to 1) each frame stratum is measured against on the
        /// chase list [default: 0.5].
        #[arg(long, value_name = "SHARE")]
        target_rate: Option<f64>,
        /// Language of the workbooks.
        #[arg(long, value_enum, default_value_t = LangArg::Zh)]
        lang: LangArg,
    },
    /// Write the checked dataset for colleagues: one row per return, question labels as
    /// headers, choice labels as values, and the lines of each repeating table; as an
    /// Excel workbook (.xlsx) or CSV files in UTF-8 with a byte order mark (.csv, a file
    /// per table beside it). Names enterprises: written owner-only.
    #[command(after_help = EXIT_HELP)]
    Export {
        /// Definition file.
        definition: PathBuf,
        /// Dataset folder written by `ingest`.
        dataset: PathBuf,
        /// Output file: `.xlsx` or `.csv`.
        #[arg(short, long)]
        output: PathBuf,
        /// Language of headers and labels.
        #[arg(long, value_enum, default_value_t = LangArg::Zh)]
        lang: LangArg,
        /// Question ids as headers and choice codes as values.
        #[arg(long)]
        codes: bool,
    },
    /// Write a realistic, reproducible set of returns for a survey: a sampling frame, a
    /// mix of template workbooks, a wide workbook, JSON and JSON Lines (with a share of
    /// flawed returns recorded in manifest.json), and a previous wave.
    #[command(after_help = EXIT_HELP)]
    Sample {
        /// Definition file.
        definition: PathBuf,
        /// Responding enterprises.
        #[arg(long, default_value_t = 300)]
        enterprises: usize,
        /// Seed: the same seed gives the same files.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Share of returns carrying a planted flaw.
        #[arg(long, default_value_t = 0.08)]
        flawed_share: f64,
        /// Share of the frame's enterprises that respond.
        #[arg(long, default_value_t = 0.6)]
        response_rate: f64,
        /// Do not write a previous wave.
        #[arg(long)]
        no_previous: bool,
        /// Output folder.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Run a pipeline file end to end: check the definition, ingest the returns (and the
    /// previous wave's), analyse, check the quality gates and write run.json.
    ///
    /// Writes dataset/, reports/ (and previous-dataset/) and run.json into the output
    /// folder. Exits 0 when every gate passes, 1 when a gate fails (the reports are
    /// written all the same), 2 when the run cannot complete.
    #[command(after_help = EXIT_HELP)]
    Run {
        /// Pipeline file (TOML); paths in it are relative to its folder.
        pipeline: PathBuf,
        /// Output folder in place of the pipeline's `output`.
        #[arg(long)]
        out: Option<PathBuf>,
        /// How log lines on stderr are written.
        #[arg(long, value_enum, default_value_t = run::LogFormat::Text)]
        log_format: run::LogFormat,
        /// Do not show progress bars.
        #[arg(long)]
        quiet: bool,
        /// Read every input again: ignore the cache earlier runs kept in the output
        /// folder (and build it anew).
        #[arg(long)]
        full: bool,
        /// Memory ingest may use (`800M`, `2G`): files are read side by side only as far
        /// as they fit; a file that alone would need more is rejected.
        #[arg(long, default_value = "1G", value_parser = parse_bytes)]
        max_memory: u64,
    },
    /// Write the JSON Schema (draft 2020-12) that a JSON return satisfies.
    #[command(after_help = EXIT_HELP)]
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
    /// Measure each stage of a run against the bare cost of reading its input: wall time,
    /// returns and MB per second, and peak memory, on generated returns.
    ///
    /// Generates template workbooks (from about half of --enterprises) and a JSON Lines
    /// file of --jsonl-returns returns with its frame and previous wave, then runs, each in
    /// its own process: a bare calamine read of the workbooks and their full ingest (1
    /// thread and all cores), a bare serde_json parse of the JSON Lines file and its full
    /// ingest, and the analysis of that dataset against a bare polars scan of its Parquet
    /// files. Prints the table and the ratios. Takes minutes; not a test.
    #[command(after_help = EXIT_HELP)]
    Bench {
        /// Responding enterprises of the generated sample.
        #[arg(long, default_value_t = survey_bench::DEFAULT_ENTERPRISES)]
        enterprises: usize,
        /// Returns in the JSON Lines file.
        #[arg(long, default_value_t = survey_bench::DEFAULT_JSONL_RETURNS)]
        jsonl_returns: u64,
        /// Threads of the all-cores stages (default: all cores).
        #[arg(long)]
        jobs: Option<usize>,
        /// Keep inputs and outputs in this new or empty folder.
        #[arg(long)]
        keep: Option<PathBuf>,
        /// Also time Python readers (pandas + openpyxl, pandas with calamine,
        /// python-calamine) on the workbooks, if python3 has them.
        #[arg(long)]
        peers: bool,
        /// Definition file (default: the shipped spring 2024 definition).
        #[arg(long)]
        definition: Option<PathBuf>,
        /// Seed of the generated data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Also time `ingest` over big files, each case in its own process: a JSON array,
        /// a wide workbook and one whose text answers are all distinct shared strings
        /// (1.4 million asked at 50 MB), each alone, then four such files at once with
        /// --jobs 2. Workbooks stop where the ingest's default limits would refuse them
        /// (the table says which limit and how far short of the size asked).
        #[arg(long)]
        big_files: bool,
        /// Size of each big file, in MB.
        #[arg(long, default_value_t = survey_bench::DEFAULT_BIG_FILE_MB)]
        big_file_mb: u64,
        /// How the table is printed.
        #[arg(long, value_enum, default_value_t = TableFormat::Text)]
        format: TableFormat,
    },
    /// Reads one .ods or .xls workbook and writes its cells to stdout (ingest runs this
    /// in a child process, under memory and time limits).
    #[command(hide = true)]
    ReadWorkbook {
        /// `ods` or `xls`.
        kind: String,
        /// The workbook.
        path: PathBuf,
        /// Most cells a sheet may span.
        max_cells: String,
        /// Longest text kept, in characters.
        max_text_chars: String,
    },
    /// Runs one benchmark stage given as JSON and prints its measurement (`bench` runs it
    /// in a child process).
    #[command(hide = true)]
    #[command(after_help = EXIT_HELP)]
    BenchStage {
        /// The stage, as JSON.
        stage: String,
    },
}

/// Limits on inputs; raise them for unusually large returns.
#[derive(clap::Args)]
struct LimitArgs {
    /// Largest input file, in bytes (JSON Lines files stream and are not limited).
    #[arg(long, default_value_t = survey_parse::limits::DEFAULT_MAX_FILE_BYTES)]
    max_file_bytes: u64,
    /// Most cells a sheet may hold.
    #[arg(long, default_value_t = survey_parse::limits::DEFAULT_MAX_CELLS_PER_SHEET)]
    max_cells_per_sheet: u64,
    /// Longest text answer, in characters.
    #[arg(long, default_value_t = survey_parse::limits::DEFAULT_MAX_TEXT_CHARS)]
    max_text_chars: usize,
    /// Longest return in a streamed JSON file (a JSON Lines line, a JSON array item), in
    /// bytes.
    #[arg(long, alias = "max-json-return-bytes", default_value_t = survey_parse::limits::DEFAULT_MAX_JSON_LINE_BYTES)]
    max_json_line_bytes: usize,
    /// Memory the ingest may use: a number of bytes, or with a unit (`800M`, `2G`).
    /// Files are read side by side only as far as they fit; a file that alone would need
    /// more is rejected.
    #[arg(long, default_value = "1G", value_parser = parse_bytes)]
    max_memory: u64,
}

/// A size as `--max-memory` takes it: bytes, or a number with `K`, `M`, `G` (powers of
/// 1024; a trailing `B` or `iB` is allowed).
fn parse_bytes(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size: write e.g. 800M or 2G"))?;
    let shift = match unit
        .trim()
        .to_ascii_uppercase()
        .trim_end_matches("IB")
        .trim_end_matches('B')
    {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        _ => return Err(format!("`{text}`: the unit must be K, M or G")),
    };
    number
        .checked_mul(1 << shift)
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("`{text}` is not a usable size"))
}

impl LimitArgs {
    fn limits(&self) -> survey_parse::Limits {
        survey_parse::Limits {
            max_file_bytes: self.max_file_bytes,
            max_cells_per_sheet: self.max_cells_per_sheet,
            max_text_chars: self.max_text_chars,
            max_json_line_bytes: self.max_json_line_bytes,
            max_memory: self.max_memory,
            ..survey_parse::Limits::default()
        }
    }
}

/// mimalloc's `mi_option_purge_delay` (its place in `mi_option_t`, which the bindings do
/// not name).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // Memory freed by one batch of returns is taken again by the next: handing it back
    // to the system and faulting it in again cost a tenth of an ingest's time.
    // SAFETY: sets a plain option before any other thread runs.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    let cli = Cli::parse();
    // .ods and .xls returns are read by this program in a child process.
    if let Ok(program) = std::env::current_exe() {
        survey_parse::isolated::set_child_command(survey_parse::isolated::ChildCommand {
            program,
            args: vec!["read-workbook".into()],
        });
    }
    match cli.command {
        Command::ReadWorkbook {
            kind,
            path,
            max_cells,
            max_text_chars,
        } => ExitCode::from(
            u8::try_from(survey_parse::isolated::serve(&kind, &path, &max_cells, &max_text_chars)).unwrap_or(1),
        ),
        Command::Check {
            definitions,
            format,
            against,
        } => check(&definitions, format, against.as_deref()),
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
                def.survey().id,
                def.survey().version
            );
            Ok(())
        }),
        Command::Ingest {
            definition,
            inputs,
            output,
            jobs,
            strict,
            quiet,
            limits,
        } => {
            let options = survey_parse::Options {
                limits: limits.limits(),
                jobs,
            };
            ingest(&definition, &inputs, &output, &options, strict, quiet)
        }
        Command::Export {
            definition,
            dataset,
            output,
            lang,
            codes,
        } => with_definition(&definition, |def| {
            let options = survey_analysis::export::ExportOptions {
                lang: lang.into(),
                codes,
            };
            let written =
                survey_analysis::export::export(def, &dataset, &output, options).map_err(|e| e.to_string())?;
            for path in written {
                eprintln!("wrote {}", path.display());
            }
            Ok(())
        }),
        Command::Analyze {
            definition,
            dataset,
            output,
            frame,
            previous,
            previous_definition,
            previous_ids,
            target_rate,
            lang,
        } => with_definition(&definition, |def| {
            let previous_definition = previous_definition
                .as_deref()
                .map(load_previous_definition)
                .transpose()?;
            let options = survey_analysis::analyze::AnalyzeOptions {
                frame,
                previous,
                previous_definition,
                previous_ids,
                lang: lang.into(),
                program_version: env!("CARGO_PKG_VERSION").to_owned(),
                chase_target_rate: target_rate,
            };
            let analysis = survey_analysis::analyze::analyze(def, &dataset, &options).map_err(|e| e.to_string())?;
            survey_analysis::analyze::write_reports(&analysis, &output).map_err(|e| e.to_string())?;
            let s = &analysis.summary;
            let chase = s.chase.as_ref().map_or_else(String::new, |c| {
                format!(
                    "; {} frame enterprises to chase, {} more returns to reach the target",
                    c.enterprises_listed, c.returns_needed
                )
            });
            eprintln!(
                "analysed {} returns ({} in the estimates, {}); {} risk flags{chase}; wrote {}",
                s.counts.accepted,
                s.counts.in_estimates,
                s.weighting,
                s.risk.flags.iter().map(|f| f.count).sum::<u64>(),
                output.display()
            );
            Ok(())
        }),
        Command::Sample {
            definition,
            enterprises,
            seed,
            flawed_share,
            response_rate,
            no_previous,
            output,
        } => with_definition(&definition, |def| {
            let options = survey_sample::SampleOptions {
                enterprises,
                seed,
                flawed_share,
                response_rate,
                previous_wave: !no_previous,
            };
            let summary = survey_sample::generate(def, &options, &output).map_err(|e| e.to_string())?;
            eprintln!(
                "wrote {} files to {}: {} returns ({} flawed) from {} of {} enterprises in the frame",
                summary.files_written,
                output.display(),
                summary.returns,
                summary.flawed,
                summary.respondents,
                summary.population
            );
            Ok(())
        }),
        Command::Run {
            pipeline,
            out,
            log_format,
            quiet,
            full,
            max_memory,
        } => run::run(&pipeline, out, log_format, quiet, full, max_memory),
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
        Command::Bench {
            enterprises,
            jsonl_returns,
            jobs,
            keep,
            peers,
            definition,
            seed,
            big_files,
            big_file_mb,
            format,
        } => {
            let options = survey_bench::BenchOptions {
                definition,
                enterprises,
                jsonl_returns,
                jobs,
                keep,
                peers,
                seed,
                big_files,
                big_file_mb,
            };
            bench(&options, format)
        }
        Command::BenchStage { stage } => match survey_bench::run_stage(&stage) {
            Ok(measured) => {
                println!("{measured}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(EXIT_FAILURE)
            }
        },
    }
}

fn check(paths: &[PathBuf], format: ReportFormat, against: Option<&Path>) -> ExitCode {
    let earlier = match against.map(survey_def::load).transpose() {
        Ok(earlier) => earlier,
        Err(e) => {
            eprintln!("error: the earlier definition: {e}");
            return ExitCode::from(EXIT_PROBLEMS);
        }
    };
    let mut failed = false;
    let mut unreadable = false;
    for path in paths {
        match survey_def::load(path) {
            Ok(def) => {
                if let Some(earlier) = &earlier {
                    unreadable |= print_comparison(earlier, &def, path, format) == Verdict::Unreadable;
                }
                if matches!(format, ReportFormat::Text) {
                    eprintln!(
                        "{}: ok ({} v{}, {} questions, {} risk rules, {} policies, fingerprint {})",
                        path.display(),
                        def.survey().id,
                        def.survey().version,
                        def.questions().len(),
                        def.risk_rules().len(),
                        def.policies().len(),
                        def.short_fingerprint()
                    );
                    for e in def.earlier_versions() {
                        eprintln!("  {}", describe_earlier(e));
                    }
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
    // Problems in a definition, or returns of the earlier one that cannot be read.
    if failed || unreadable {
        ExitCode::from(EXIT_PROBLEMS)
    } else {
        ExitCode::SUCCESS
    }
}

/// What reading an earlier version's returns does to them, in one line.
fn describe_earlier(e: &survey_def::versions::EarlierVersion) -> String {
    let h = &e.harmonisation;
    let list = |items: &mut dyn Iterator<Item = String>| {
        let items: Vec<String> = items.collect();
        if items.is_empty() {
            "none".to_owned()
        } else {
            items.join(", ")
        }
    };
    format!(
        "reads version {} ({}): renamed {}; recoded {}; not asked of it {}; dropped {}",
        e.version,
        e.definition.source.display(),
        list(&mut h.renamed.iter().map(|(a, b)| format!("{a} -> {b}"))),
        list(&mut h.recoded.iter().cloned()),
        list(&mut h.not_asked.iter().cloned()),
        list(&mut h.dropped.iter().cloned()),
    )
}

/// Prints how returns made from `earlier` read under `current`, and returns the verdict.
fn print_comparison(earlier: &Definition, current: &Definition, path: &Path, format: ReportFormat) -> Verdict {
    let (verdict, differences) = survey_def::contract::compare(earlier, current);
    let name = |d: &Definition| format!("{} v{} ({})", d.survey().id, d.survey().version, d.short_fingerprint());
    let mut out = std::io::stdout().lock();
    match format {
        ReportFormat::Text => {
            let _ = writeln!(
                out,
                "{}: returns made from {} under {}: {}",
                path.display(),
                name(earlier),
                name(current),
                verdict.describe()
            );
            for d in &differences {
                let item = if d.item.is_empty() { "survey" } else { d.item.as_str() };
                let _ = writeln!(out, "  {item}: {} [{}]", d.change, verdict_code(d.verdict));
            }
            if let Some(listed) = current.earlier_version(&earlier.survey().version) {
                let _ = writeln!(
                    out,
                    "  listed under [[survey.earlier_versions]], so its returns are read with that mapping: {}",
                    describe_earlier(listed)
                );
            }
        }
        ReportFormat::Json => {
            let json = serde_json::json!({
                "file": path.display().to_string(),
                "earlier": { "version": earlier.survey().version, "fingerprint": earlier.fingerprint },
                "current": { "version": current.survey().version, "fingerprint": current.fingerprint },
                "verdict": verdict_code(verdict),
                "listed": current.earlier_version(&earlier.survey().version).is_some(),
                "differences": differences.iter().map(|d| serde_json::json!({
                    "item": d.item,
                    "change": d.change,
                    "verdict": verdict_code(d.verdict),
                })).collect::<Vec<_>>(),
            });
            let _ = writeln!(out, "{json}");
        }
    }
    verdict
}

fn verdict_code(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Compatible => "compatible",
        Verdict::NeedsMapping => "needs-mapping",
        Verdict::Unreadable => "unreadable",
    }
}

fn ingest(
    definition: &Path,
    inputs: &[PathBuf],
    output: &Path,
    options: &survey_parse::Options,
    strict: bool,
    quiet: bool,
) -> ExitCode {
    let mut rejected_any = false;
    let code = with_definition(definition, |def| {
        // Found as `run` finds them, and kept clear of the output folder: the next ingest
        // must not read this one's rejects and summary back as returns.
        let files = survey_pipeline::inputs::Collector::new(Path::new(""), output)
            .and_then(|c| c.returns_at(inputs))
            .map_err(|e| e.to_string())?;
        let bar = if quiet {
            indicatif::ProgressBar::hidden()
        } else {
            // Draws only on a terminal: logs of scheduled runs stay clean.
            indicatif::ProgressBar::new(files.len() as u64)
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files  {per_sec}  eta {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let run = survey_parse::ingest(def, &files, options, &|| bar.inc(1)).map_err(|e| e.to_string())?;
        bar.finish_and_clear();
        survey_parse::write_outputs(def, &run, output).map_err(|e| e.to_string())?;
        let s = &run.summary;
        if run.read_alone > 0 {
            eprintln!(
                "{} large files read one at a time, to keep within the memory budget of {} MB (--max-memory)",
                run.read_alone,
                options.limits.max_memory / (1024 * 1024)
            );
        }
        eprintln!("{}; wrote {}", s.counts_line(), output.display());
        rejected_any = s.rejected > 0;
        Ok(())
    });
    if code == ExitCode::SUCCESS && strict && rejected_any {
        eprintln!("error: --strict: some returns were rejected (see rejects.xlsx)");
        return ExitCode::from(EXIT_PROBLEMS);
    }
    code
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
            // A command given a broken definition cannot run; finding problems is `check`'s job.
            ExitCode::from(EXIT_FAILURE)
        }
        Err(other) => {
            eprintln!("error: {other}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

/// Loads the previous wave's definition, printing its problems as `check` would.
fn load_previous_definition(path: &Path) -> Result<survey_def::Definition, String> {
    match survey_def::load(path) {
        Ok(def) => Ok(def),
        Err(DefinitionError::Invalid { problems, .. }) => {
            for p in &problems {
                eprintln!("{p}");
            }
            Err(format!(
                "the previous wave's definition {} has {} problem(s); run `labor-survey check` after fixing them",
                path.display(),
                problems.len()
            ))
        }
        Err(other) => Err(format!("the previous wave's definition: {other}")),
    }
}

/// Writes a blank form (template or schema: nothing of any enterprise, so readable by all)
/// to `path` atomically, creating its folder.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    survey_files::write::write_with_dir(path, bytes, survey_files::write::Access::Published)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[derive(Clone, Copy, ValueEnum)]
enum TableFormat {
    /// An aligned table and the ratios
    Text,
    /// The same as one JSON document
    Json,
}

fn bench(options: &survey_bench::BenchOptions, format: TableFormat) -> ExitCode {
    let program = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: cannot find this program to run the stages: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let command = survey_bench::StageCommand {
        program,
        args: vec!["bench-stage".into()],
    };
    match survey_bench::run(options, &command, &|step| eprintln!("bench: {step}")) {
        Ok(report) => {
            match format {
                TableFormat::Text => print!("{}", report.to_text()),
                TableFormat::Json => match serde_json::to_string_pretty(&report) {
                    Ok(json) => println!("{json}"),
                    Err(e) => {
                        eprintln!("error: {e}");
                        return ExitCode::from(EXIT_FAILURE);
                    }
                },
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{MI_OPTION_PURGE_DELAY, parse_bytes};

    #[test]
    fn sizes_read_with_their_units() {
        assert_eq!(parse_bytes("1G"), Ok(1 << 30));
        assert_eq!(parse_bytes("800M"), Ok(800 << 20));
        assert_eq!(parse_bytes("512MiB"), Ok(512 << 20));
        assert_eq!(parse_bytes("4096"), Ok(4096));
        assert_eq!(parse_bytes("2 kb"), Ok(2048));
        assert!(parse_bytes("1T").is_err());
        assert!(parse_bytes("0").is_err());
        assert!(parse_bytes("G").is_err());
        assert!(parse_bytes("99999999999G").is_err());
    }

    #[test]
    fn the_option_set_at_start_is_mimallocs_purge_delay() {
        // The bindings name the option after it; its place could move with a new mimalloc.
        // Its default (1,000 ms in mimalloc 3; `c_src/mimalloc/v3/src/options.c`) is not
        // shared by its neighbours (1 before, 0 after).
        assert_eq!(MI_OPTION_PURGE_DELAY + 1, libmimalloc_sys::mi_option_use_numa_nodes);
        // SAFETY: reads a plain option.
        assert_eq!(unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) }, 1000);
    }
}
