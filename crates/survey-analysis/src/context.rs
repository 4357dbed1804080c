//! What every report is computed from: the definition, the dataset, the responding sample
//! as a design, the breakdowns, and the texts all three workbooks share (cover facts,
//! method notes on weighting, variance, quality marks and disclosure control).

use crate::dataset::{AnswerColumns, Dataset, names_read};
use crate::figures::{Breakdown, Estimator, IMPUTED_SHARE_CAUTION, IMPUTED_SHARE_SHOWN, OverallFigures, tr};
use crate::frame::Frame;
use crate::impute::{Answers, DEFAULT_MIN_DONORS, ImputationClass, ImputationCounts, Imputer};
use crate::publication::AuditSummary;
use crate::report::book::{
    Audience, Book, BookPlan, Cell, Column, ColumnStyle, Cover, Format, NoteSection, Print, SYMBOL_CAUTION,
    SYMBOL_NOT_AVAILABLE, SYMBOL_SUPPRESSED, Sheet, Table,
};
use crate::sample::Sample;
use crate::{CV_CAUTION, DisclosureRules};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, PoisonError};
use survey_def::codes::{INDUSTRY_DIVISIONS, INDUSTRY_SECTIONS, industry_division, industry_section};
use survey_def::expr::is_relevant;
use survey_def::{AnalysisSpec, Definition, Lang};

/// The breakdowns of enterprise-level tables.
#[derive(Debug, Clone)]
pub struct Breakdowns {
    /// GB/T 4754 sections.
    pub section: Breakdown,
    /// GB/T 4754 divisions (those with respondents).
    pub division: Breakdown,
    /// Size classes of the definition.
    pub size_class: Breakdown,
    /// Sub-districts, when the definition has a sub-district question.
    pub subdistrict: Option<Breakdown>,
}

/// Everything the reports are computed from.
pub struct Context<'a> {
    /// The definition.
    pub def: &'a Definition,
    /// Its `[analysis]` roles.
    pub spec: &'a AnalysisSpec,
    /// Report language.
    pub lang: Lang,
    /// The accepted returns.
    pub data: &'a Dataset,
    /// The returns in the estimates, as a design.
    pub sample: &'a Sample,
    /// Primary suppression rules.
    pub rules: DisclosureRules,
    /// Enterprise-level breakdowns.
    pub breakdowns: Breakdowns,
    /// Answers of number questions per unit, imputed once: every breakdown of every
    /// workbook reads the same values, and skip logic is evaluated per return. Behind a
    /// lock because the workbooks are computed at the same time.
    numbers_cache: Mutex<BTreeMap<String, (Answers, ImputationCounts)>>,
    /// The class each unit is imputed within.
    imputation_classes: Vec<ImputationClass>,
    /// Overall figures of the measures, estimated once for all their breakdowns.
    overall: OverallFigures,
}

impl<'a> Context<'a> {
    /// Builds the context; `frame` places enterprises in sections and size classes when given.
    pub fn new(
        def: &'a Definition,
        spec: &'a AnalysisSpec,
        lang: Lang,
        data: &'a Dataset,
        sample: &'a Sample,
        frame: Option<&Frame>,
    ) -> Context<'a> {
        let rules = disclosure_rules(spec);
        let (breakdowns, imputation_classes) = breakdowns(def, lang, data, sample, frame);
        Context {
            def,
            spec,
            lang,
            data,
            sample,
            rules,
            breakdowns,
            numbers_cache: Default::default(),
            imputation_classes,
            overall: OverallFigures::default(),
        }
    }

    /// Text in the report language.
    pub fn tr(&self, zh: &str, en: &str) -> String {
        tr(self.lang, zh, en)
    }

    /// A number question's answers, one per unit of the design, with missing answers
    /// imputed (DOMAIN.md "Item nonresponse"; see [`crate::impute`]). A question its skip
    /// logic did not ask ("workers wanted from partner regions" when the enterprise has no
    /// interest) is a known 0, not a missing answer; an unanswered question that was asked
    /// is imputed.
    pub fn numbers(&self, question: &str) -> Answers {
        let cache = || self.numbers_cache.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((values, _)) = cache().get(question) {
            return values.clone();
        }
        let imputed = self.impute(question, self.reported_numbers(question));
        let values = imputed.0.clone();
        cache().entry(question.to_owned()).or_insert(imputed);
        values
    }

    /// What imputation did to every number question `[analysis]` maps, in questionnaire
    /// order. Each is imputed here if no report has read it yet: the reports run in
    /// parallel, so "read so far" would depend on which finished first.
    pub fn imputations(&self) -> Vec<ImputationCounts> {
        let s = self.spec;
        let mapped: BTreeSet<&str> = [
            Some(&s.employees),
            s.employees_before.as_ref(),
            s.planned_hires.as_ref(),
        ]
        .into_iter()
        .chain([
            s.planned_reductions.as_ref(),
            s.returned.as_ref(),
            s.expected_to_return.as_ref(),
        ])
        .flatten()
        .chain(&s.totals)
        .map(String::as_str)
        .collect();
        let numbers: Vec<&str> = self
            .def
            .questions()
            .iter()
            .filter(|q| q.kind.is_numeric())
            .map(|q| q.id())
            .filter(|q| mapped.contains(q))
            .collect();
        for q in &numbers {
            self.numbers(q);
        }
        let cache = self.numbers_cache.lock().unwrap_or_else(PoisonError::into_inner);
        numbers
            .iter()
            .filter_map(|q| cache.get(*q))
            .map(|(_, counts)| counts.clone())
            .collect()
    }

    /// The reported answers (and known zeros) of a number question, before imputation.
    fn reported_numbers(&self, question: &str) -> Vec<Option<f64>> {
        let mut values = self.sample.pick(&self.data.numbers(question));
        if let Some(relevant) = self.def.question(question).and_then(|q| q.relevant.as_ref()) {
            self.zero_where_not_asked(relevant, &mut values);
        }
        values
    }

    /// The auxiliary of ratio imputation: the definition's, else the employees.
    pub fn imputation_auxiliary(&self) -> &str {
        self.spec
            .imputation
            .as_ref()
            .and_then(|i| i.auxiliary.as_deref())
            .unwrap_or(&self.spec.employees)
    }

    fn impute(&self, question: &str, values: Vec<Option<f64>>) -> (Answers, ImputationCounts) {
        let auxiliary_question = self.imputation_auxiliary();
        let auxiliary = (question != auxiliary_question).then(|| self.reported_numbers(auxiliary_question));
        let min_donors = self
            .spec
            .imputation
            .as_ref()
            .and_then(|i| i.min_donors)
            .map_or(DEFAULT_MIN_DONORS, |n| n as usize);
        Imputer {
            weights: self.sample.design.weights(),
            classes: &self.imputation_classes,
            auxiliary: auxiliary.as_deref(),
            min_donors,
        }
        .impute(question, values)
    }

    fn zero_where_not_asked(&self, relevant: &survey_def::expr::Expr, values: &mut [Option<f64>]) {
        let mut questions = BTreeSet::new();
        let mut columns = BTreeSet::new();
        names_read(relevant, &mut questions, &mut columns);
        let decoded = AnswerColumns::new(self.data, self.def, &questions, &columns);
        for (value, &row) in values.iter_mut().zip(&self.sample.rows) {
            if value.is_none() {
                let answers = decoded.row(row);
                if !is_relevant(relevant, &answers, &|_| false) {
                    *value = Some(0.0);
                }
            }
        }
    }

    /// A yes/no question's answers, one per unit of the design.
    pub fn flags(&self, question: &str) -> Vec<Option<bool>> {
        self.sample.pick(&self.data.flags(question))
    }

    /// A code or text question's answers, one per unit of the design.
    pub fn texts(&self, question: &str) -> Vec<Option<String>> {
        self.sample.pick(&self.data.texts(question))
    }

    /// The estimator with this context's design and rules.
    pub fn estimator(&self) -> Estimator<'_, crate::frame::StratumLabel> {
        Estimator {
            design: &self.sample.design,
            rules: &self.rules,
            weighted: self.sample.weighted,
            overall: &self.overall,
        }
    }

    /// A question's label in the report language (its id when unknown).
    pub fn question_label(&self, id: &str) -> String {
        self.def
            .question(id)
            .map_or_else(|| id.to_owned(), |q| q.label.get(self.lang).to_owned())
    }

    /// "Weighted estimates" or "Unweighted, respondents only".
    pub fn weighting_line(&self) -> String {
        if self.sample.weighted {
            self.tr(
                "加权估计（按抽样框分层推算全区）",
                "Weighted estimates for all enterprises in the frame",
            )
        } else {
            self.tr("未加权，仅限回答企业", "Unweighted, respondents only")
        }
    }

    /// A cover for a workbook of this survey.
    /// The workbook `plan` describes, with what every report shares: a cover listing its
    /// sheets, its own notes, then the method notes (with its disclosure audit, if any).
    pub fn book(&self, plan: BookPlan<'_>) -> Book {
        let contents = plan.sheets.iter().map(|s| (s.name.clone(), s.title.clone())).collect();
        let cover = self.cover(plan.title, plan.audience, contents);
        let mut notes = plan.notes;
        notes.extend(self.method_notes(plan.audit));
        Book {
            file_name: plan.file_name.into(),
            lang: self.lang,
            cover,
            sheets: plan.sheets,
            notes,
            figures: plan.figures,
        }
    }

    /// The cover of a workbook titled `title` for `audience`, listing `contents`.
    pub fn cover(&self, title: String, audience: Audience, contents: Vec<(String, String)>) -> Cover {
        let survey = &self.def.survey();
        let mut facts = vec![
            (self.tr("调查", "Survey"), survey.title.get(self.lang).to_owned()),
            (
                self.tr("调查期", "Survey period"),
                format!("{} – {}", survey.period_start, survey.period_end),
            ),
            (
                self.tr("问卷定义", "Definition"),
                format!("{} {} ({})", survey.id, survey.version, self.def.short_fingerprint()),
            ),
        ];
        if let Some(at) = self
            .data
            .latest_submission
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        {
            facts.push((
                self.tr("数据截至（最新提交）", "Data as of (latest return)"),
                at.format("%Y-%m-%d %H:%M UTC").to_string(),
            ));
        }
        if let Some(c) = self.data.counts {
            facts.push((self.tr("收到问卷", "Returns received"), c.received.to_string()));
            facts.push((self.tr("接受", "Accepted"), c.accepted.to_string()));
            facts.push((self.tr("拒收", "Rejected"), c.rejected.to_string()));
            facts.push((
                self.tr("被更新版本取代", "Superseded by a later return"),
                c.superseded.to_string(),
            ));
        } else {
            facts.push((self.tr("接受", "Accepted"), self.data.len().to_string()));
        }
        facts.push((
            self.tr("纳入估计的企业", "Enterprises in the estimates"),
            self.sample.units().to_string(),
        ));
        if let Some(rate) = self.sample.response_rate() {
            facts.push((
                self.tr("抽样框企业数", "Enterprises in the frame"),
                self.sample.population.to_string(),
            ));
            facts.push((self.tr("回答率", "Response rate"), format!("{:.1}%", rate * 100.0)));
        }
        if !self.sample.outside_frame.is_empty() {
            facts.push((
                self.tr(
                    "不在抽样框内（未纳入估计）",
                    "Not in the frame (left out of the estimates)",
                ),
                self.sample.outside_frame.len().to_string(),
            ));
        }
        facts.push((self.tr("估计方法", "Estimation"), self.weighting_line()));
        let audience_text = match audience {
            Audience::Published => self.tr(
                "可公开发布：所有数字均已经过保密审查",
                "Fit for publication: every figure passed disclosure control",
            ),
            Audience::OfficialsOnly => self.tr(
                "内部资料 仅供工作人员使用 不得公开或转发",
                "For officials only: holds enterprise-level data, not for publication",
            ),
        };
        Cover {
            subtitle: self.weighting_line(),
            title,
            audience,
            audience_text,
            facts,
            how_to_read: self.how_to_read(),
            contents,
        }
    }

    fn how_to_read(&self) -> Vec<String> {
        vec![
            self.tr(
                "每个表格都是Excel表，可在标题行筛选和排序；打印时每页重复标题行。",
                "Every table is an Excel table: filter and sort from its header row; printing repeats the header on each page.",
            ),
            self.tr(
                "估计值后给出标准误、95%置信区间、变异系数（CV）和所依据的企业数。",
                "Each estimate comes with its standard error, 95% confidence interval, coefficient of variation (CV) and the number of enterprises it rests on.",
            ),
            format!(
                "{SYMBOL_CAUTION} {}",
                self.tr(
                    &format!("变异系数高于{CV_CAUTION}：谨慎使用。"),
                    &format!("CV above {CV_CAUTION}: use with caution."),
                )
            ),
            format!(
                "{SYMBOL_SUPPRESSED} {}",
                self.tr(
                    "为保护单个企业信息而隐藏（企业数过少、少数企业占比过高，或为防止相减推算）。",
                    "Suppressed to protect individual enterprises (too few enterprises, dominated by one or two, or to stop recovery by subtraction).",
                )
            ),
            format!(
                "{SYMBOL_NOT_AVAILABLE} {}",
                self.tr(
                    "无法计算（无回答、方差无法估计等）。",
                    "Not available (no answers, variance not estimable...).",
                )
            ),
        ]
    }

    /// The footnote of a sheet whose figures leave out the frame strata nobody responded
    /// in: how many frame enterprises (and employees, when the frame lists them) the
    /// figures do not cover. `None` when every stratum is covered or there is no frame.
    pub fn coverage_footnote(&self) -> Option<String> {
        let uncovered = self.sample.unrepresented();
        if uncovered.is_empty() {
            return None;
        }
        let strata = uncovered.len();
        let enterprises: u64 = uncovered.iter().map(|s| s.population).sum();
        let employees: Option<u64> = uncovered.iter().map(|s| s.frame_employees).sum();
        Some(match employees {
            Some(employees) => self.tr(
                &format!(
                    "覆盖范围：抽样框中有{strata}个层无回答企业，其{enterprises}家企业（{employees}名职工）不在本表估计之内。"
                ),
                &format!(
                    "Coverage: {strata} frame strata had no respondent; their {enterprises} enterprises ({employees} employees) are not covered by these figures."
                ),
            ),
            None => self.tr(
                &format!(
                    "覆盖范围：抽样框中有{strata}个层无回答企业，其{enterprises}家企业不在本表估计之内（抽样框未列职工人数）。"
                ),
                &format!(
                    "Coverage: {strata} frame strata had no respondent; their {enterprises} enterprises are not covered by these figures (the frame lists no employees)."
                ),
            ),
        })
    }

    /// Method notes every workbook carries: weighting, item nonresponse, variance,
    /// intervals, quality, disclosure control (with what the audit found, for a published
    /// workbook). Written from the definition and the run, never about one survey.
    pub fn method_notes(&self, audit: Option<&AuditSummary>) -> Vec<NoteSection> {
        let mut notes = Vec::new();
        let weighting = if self.sample.weighted {
            let mut p = vec![
                self.tr(
                    "分层设计：层为国民经济行业门类（GB/T 4754-2017）×企业规模。回答企业的设计权数为 w = N_h / n_h（N_h为抽样框中该层企业数，n_h为该层回答企业数），即在层内按随机缺失假设调整无回答。",
                    "Stratified design: strata are GB/T 4754-2017 sections x size classes. A responding enterprise in stratum h weighs w = N_h / n_h (N_h enterprises in the frame, n_h respondents), the design weight adjusted for nonresponse within the stratum (respondents assumed missing at random within it).",
                ),
                self.tr(
                    "总量为加权和；比率为两个加权总量之比，不是企业比率的平均。",
                    "Totals are weighted sums; rates are ratios of two weighted totals, never means of per-enterprise ratios.",
                ),
            ];
            let unrepresented = self.sample.unrepresented();
            if !unrepresented.is_empty() {
                let list: Vec<String> = unrepresented
                    .iter()
                    .map(|s| format!("{} (N={})", s.label, s.population))
                    .collect();
                p.push(self.tr(
                    &format!("以下层无回答企业，估计不覆盖这些层：{}。", list.join("、")),
                    &format!(
                        "No enterprise responded in these strata, so the estimates do not cover them: {}.",
                        list.join(", ")
                    ),
                ));
                p.extend(self.coverage_footnote());
            }
            let collapsed: Vec<String> = self
                .sample
                .strata
                .iter()
                .filter_map(|s| s.collapsed_into.as_ref().map(|into| format!("{} -> {}", s.label, into)))
                .collect();
            if !collapsed.is_empty() {
                p.push(self.tr(
                    &format!("仅1家回答企业的层在方差估计时与相邻规模层合并：{}。", collapsed.join("、")),
                    &format!(
                        "Strata with a single respondent are merged with the neighbouring size class for the variance: {}.",
                        collapsed.join(", ")
                    ),
                ));
            }
            if !self.sample.outside_frame.is_empty() {
                p.push(self.tr(
                    &format!(
                        "{}家回答企业不在抽样框内，未纳入加权估计。",
                        self.sample.outside_frame.len()
                    ),
                    &format!(
                        "{} responding enterprises are not in the frame and are left out of the weighted estimates.",
                        self.sample.outside_frame.len()
                    ),
                ));
            }
            p
        } else {
            vec![self.tr(
                "未提供抽样框：表中数字未加权，仅代表回答企业，不能推算全区。总量为回答企业之和，不给标准误；比率和比例的标准误按回答企业为简单随机样本（无有限总体校正）计算，仅供参考。",
                "No sampling frame was given: figures are unweighted and describe the responding enterprises only; they do not stand for the population. Totals are sums over respondents and carry no standard error; standard errors of rates and shares treat the respondents as a simple random sample (no finite population correction) and are indicative only.",
            )]
        };
        notes.push(NoteSection {
            heading: self.tr("加权", "Weighting"),
            paragraphs: weighting,
        });
        notes.push(self.imputation_notes());
        notes.push(NoteSection {
            heading: self.tr("方差与置信区间", "Variance and confidence intervals"),
            paragraphs: vec![
                self.tr(
                    "方差按分层泰勒线性化（得分形式）计算，含有限总体校正 (1 - n_h/N_h)。按岗位（职业）的表以企业为群：先把企业的各岗位行加总。",
                    "Variances by stratified Taylor linearisation (score form) with the finite population correction (1 - n_h/N_h). Tables over vacancy lines (occupations) treat the enterprise as the cluster: an enterprise's lines are summed first.",
                ),
                self.tr(
                    "域（行业、规模、街道）估计把域外企业的值设为0后在全样本上计算，不先删除行。",
                    "Domains (sector, size, sub-district) are estimated with y set to 0 outside the domain over the full sample, never by dropping rows first.",
                ),
                self.tr(
                    &format!(
                        "95%置信区间 = 估计值 ± t × 标准误，t分布自由度 = 回答企业数 − 层数（{}）；比例使用logit区间。",
                        self.sample.design.degrees_of_freedom()
                    ),
                    &format!(
                        "95% interval = estimate ± t x SE with t on n - H degrees of freedom ({}); proportions use the logit interval.",
                        self.sample.design.degrees_of_freedom()
                    ),
                ),
                self.tr(
                    "插补值在方差估计中按实际回答处理，方差因此偏低；插补比例见各表“插补”列。",
                    "Imputed values are treated as reported in the variance, which therefore understates it; each figure's imputed share is in the Imputed column.",
                ),
                self.tr(
                    "中位数和四分位数为加权分位数（加权分布函数的逆），不给区间。",
                    "Medians and quartiles are weighted quantiles (inverse of the weighted distribution function), given without an interval.",
                ),
            ],
        });
        notes.push(NoteSection {
            heading: self.tr("质量标记", "Quality marks"),
            paragraphs: vec![
                self.tr(
                    &format!("变异系数 CV = 标准误/估计值；CV大于{CV_CAUTION}标记{SYMBOL_CAUTION}，谨慎使用。"),
                    &format!("CV = SE / estimate; a CV above {CV_CAUTION} is marked {SYMBOL_CAUTION}: use with caution."),
                ),
                self.tr(
                    &format!(
                        "插补值占估计值超过{:.0}%时在“插补”列列出；超过{:.0}%时标记{SYMBOL_CAUTION}。",
                        IMPUTED_SHARE_SHOWN * 100.0,
                        IMPUTED_SHARE_CAUTION * 100.0
                    ),
                    &format!(
                        "A figure over {:.0}% imputed shows its imputed share; over {:.0}% it is marked {SYMBOL_CAUTION}.",
                        IMPUTED_SHARE_SHOWN * 100.0,
                        IMPUTED_SHARE_CAUTION * 100.0
                    ),
                ),
            ],
        });
        notes.push(self.disclosure_notes(audit));
        notes
    }

    /// How missing answers were imputed, and how many for each question.
    fn imputation_notes(&self) -> NoteSection {
        let auxiliary = self.question_label(self.imputation_auxiliary());
        let min_donors = self
            .spec
            .imputation
            .as_ref()
            .and_then(|i| i.min_donors)
            .map_or(DEFAULT_MIN_DONORS, |n| n as usize);
        let mut paragraphs = vec![
            self.tr(
                &format!(
                    "数值题中应答而未答的，在制表之前按企业逐一插补一次：比率插补，辅助变量为“{auxiliary}”（该企业的“{auxiliary}” × 同类捐赠企业的加权总量之比）；企业未答辅助变量时取同类捐赠企业的加权均值。插补类别为层；层内捐赠企业少于{min_donors}家时用同一行业门类，再不足时用全部企业。所有分组表使用同一批插补值，故各分组之和等于合计。因跳答而未问的题目记为0，不插补。"
                ),
                &format!(
                    "Missing answers to number questions the enterprise was asked are imputed once, enterprise by enterprise, before any table is built: ratio imputation on \"{auxiliary}\" (the enterprise's \"{auxiliary}\" times the ratio of the donors' weighted totals), or the donors' weighted mean where the enterprise did not answer \"{auxiliary}\". The imputation class is the stratum; with fewer than {min_donors} donors there, the section; failing that, every enterprise. Every breakdown uses the same imputed values, so its domains add up to the total. A question skip logic did not ask counts as 0 and is not imputed."
                ),
            ),
            self.tr(
                "插补值不计为单元格的贡献企业：“企业数”只计实际填报的企业。",
                "Imputed values are never contributors to a cell: the Enterprises column counts enterprises that reported a value.",
            ),
        ];
        let imputed: Vec<String> = self
            .imputations()
            .iter()
            .filter(|c| c.missing > 0)
            .map(|c| {
                format!(
                    "{} {}/{}",
                    self.question_label(&c.question),
                    c.missing - c.not_imputed,
                    c.missing
                )
            })
            .collect();
        if !imputed.is_empty() {
            paragraphs.push(self.tr(
                &format!("插补的回答数（插补/缺失）：{}。", imputed.join("；")),
                &format!("Answers imputed (imputed/missing): {}.", imputed.join("; ")),
            ));
        }
        NoteSection {
            heading: self.tr("缺失回答的插补", "Missing answers (imputation)"),
            paragraphs,
        }
    }

    /// The rules of disclosure control, and for a published workbook what its audit found.
    fn disclosure_notes(&self, audit: Option<&AuditSummary>) -> NoteSection {
        let r = &self.rules;
        let k = r.dominance_k * 100.0;
        let mut paragraphs = vec![
            self.tr(
                &format!(
                    "阈值规则：单元格的贡献企业（实际填报、非插补）少于{}家，或其中数值不为0的少于{}家，则隐藏；比例须“是”和“否”各至少{}家企业。",
                    r.min_enterprises, r.min_enterprises, r.min_enterprises
                ),
                &format!(
                    "Threshold rule: a cell is suppressed when fewer than {} enterprises reported a value for it (imputed values are not contributors), or fewer than {} a non-zero one; a share needs at least {} enterprises answering yes and {} answering no.",
                    r.min_enterprises, r.min_enterprises, r.min_enterprises, r.min_enterprises
                ),
            ),
            self.tr(
                &format!(
                    "优势规则({}, {k:.0}%)：最大{}家企业占单元格合计超过{k:.0}%时隐藏；分别按填报值（未加权）和加权值判断，任一超过即隐藏。",
                    r.dominance_n, r.dominance_n
                ),
                &format!(
                    "Dominance rule ({}, {k:.0}%): suppressed when the {} largest contributors hold more than {k:.0}% of the cell total, judged on the reported (unweighted) values and on the weighted values; either failing suppresses the cell.",
                    r.dominance_n, r.dominance_n
                ),
            ),
        ];
        paragraphs.push(match audit {
            // Unaudited (a restricted workbook): the line and sibling rules choose the complements.
            None => self.tr(
                "二次隐藏：一行中只有一个单元格被隐藏时，再隐藏一个最小的非零单元格；大类与其中类同样处理。比率随其分子或分母总量一同隐藏。",
                "Secondary suppression: when one cell of a breakdown is suppressed, the smallest other non-zero cell is suppressed too; the same holds within a section's divisions. A rate is suppressed with its numerator or denominator total.",
            ),
            Some(_) => self.tr(
                &format!(
                    "区间审查与二次隐藏：对每个因阈值或优势规则隐藏的单元格，用线性规划求出与本工作簿所有公开数字相容的最小值和最大值（合计与分组、大类与其中类、比率与其分子分母、比例与公开的域规模、单选各选项之和为100%、同一数字出现在多个表中；人数等不为负）。区间宽度须至少为受保护数值的{p:.0}%：单元格的数值；比例为“是”与“否”两者中较小者的人数；数值为0时为一家企业的平均贡献。不足时按固定规则继续隐藏：先与该单元格相连的单元格，再同表其他单元格，“合计”最后；每组内数值最小（信息损失最少）者优先，取第一个使其满足要求者；最后，凡被隐藏而仍可由公开数字推出的单元格重新公开。",
                    p = r.protection * 100.0
                ),
                &format!(
                    "Interval audit and secondary suppression: for every cell suppressed by the threshold or dominance rule, linear programmes find the smallest and largest values consistent with every figure the workbook publishes (totals and their breakdowns, divisions within their section, rates with their parts, shares with their public domain sizes, options of a single choice adding up to 100%, the same figure on several sheets), counts being known not to be negative. The interval must be at least {p:.0}% of what the rule protects: the cell's value; for a share, the smaller of its yes and no counts; for a zero, one enterprise's mean contribution. Where it is narrower, more cells are suppressed by a fixed rule: cells linked to the suppressed one first, then the others of its table, overall figures last; within each group the smallest (least information lost) first, keeping the first that protects the cell; last, any cell so suppressed that the published figures still give away is published again.",
                    p = r.protection * 100.0
                ),
            ),
        });
        if let Some(a) = audit {
            let narrowest = a
                .narrowest_interval
                .map_or_else(|| "-".to_owned(), |w| format!("{:.1}%", w * 100.0));
            paragraphs.push(self.tr(
                &format!(
                    "本工作簿审查结果：{}个表、{}个单元格；检查{}个被隐藏单元格，区间审查另隐藏{}个；最窄区间为受保护数值的{narrowest}；{}。",
                    a.tables,
                    a.cells,
                    a.cells_checked,
                    a.cells_added,
                    if a.all_protected { "全部满足保护要求" } else { "仍有单元格未满足保护要求，见summary.json" }
                ),
                &format!(
                    "This workbook's audit: {} tables, {} cells; {} suppressed cells checked, {} more suppressed by the audit; narrowest interval {narrowest} of what its rule protects; {}.",
                    a.tables,
                    a.cells,
                    a.cells_checked,
                    a.cells_added,
                    if a.all_protected { "every cell is protected" } else { "some cells could not be protected, see summary.json" }
                ),
            ));
        }
        NoteSection {
            heading: self.tr("保密审查", "Disclosure control"),
            paragraphs,
        }
    }

    /// The response-by-stratum sheet (weighted analyses only).
    pub fn strata_sheet(&self, table_name: &str) -> Option<Sheet> {
        if !self.sample.weighted {
            return None;
        }
        let c = |header: String, format: Format, style: ColumnStyle| Column { header, format, style };
        let columns = vec![
            c(self.tr("层", "Stratum"), Format::Text, ColumnStyle::Plain),
            c(self.tr("行业门类", "Section"), Format::Text, ColumnStyle::Plain),
            c(self.tr("规模", "Size class"), Format::Text, ColumnStyle::Plain),
            c(
                self.tr("抽样框企业数 N_h", "Frame enterprises N_h"),
                Format::Count,
                ColumnStyle::Plain,
            ),
            c(
                self.tr("回答企业数 n_h", "Respondents n_h"),
                Format::Count,
                ColumnStyle::Plain,
            ),
            c(
                self.tr("回答率", "Response rate"),
                Format::Percent,
                ColumnStyle::DataBar,
            ),
            c(
                self.tr("权数 N_h/n_h", "Weight N_h/n_h"),
                Format::Decimal,
                ColumnStyle::Plain,
            ),
            c(self.tr("说明", "Note"), Format::Text, ColumnStyle::Plain),
        ];
        let class_label = size_class_labels(self.def, self.lang);
        let rows = self
            .sample
            .strata
            .iter()
            .map(|s| {
                let section = industry_section(&s.label.section.to_string())
                    .map_or_else(String::new, |sec| tr(self.lang, sec.zh, sec.en));
                let note = if s.respondents == 0 {
                    self.tr("无回答：估计不覆盖此层", "No respondent: not covered by the estimates")
                } else if let Some(into) = &s.collapsed_into {
                    self.tr(
                        &format!("方差估计时并入 {into}"),
                        &format!("merged into {into} for the variance"),
                    )
                } else {
                    String::new()
                };
                vec![
                    Cell::text(s.label.to_string()),
                    Cell::text(section),
                    Cell::text(class_label.get(&s.label.size_class).cloned().unwrap_or_default()),
                    Cell::Number(s.population as f64),
                    Cell::Number(s.respondents as f64),
                    Cell::Number(s.response_rate()),
                    if s.respondents > 0 {
                        Cell::Number(s.population as f64 / s.respondents as f64)
                    } else {
                        Cell::NotAvailable
                    },
                    if note.is_empty() { Cell::Blank } else { Cell::text(note) },
                ]
            })
            .collect();
        Some(Sheet {
            print: Print::default(),
            name: self.tr("分层回答情况", "Response by stratum"),
            title: self.tr(
                "各层抽样框企业数、回答企业数与权数",
                "Frame counts, respondents and weights by stratum",
            ),
            intro: vec![self.tr(
                "层 = 行业门类 × 规模。回答率低的层估计更依赖少数企业。",
                "Stratum = section x size class. Strata with low response lean on few enterprises.",
            )],
            table: Table {
                name: table_name.to_owned(),
                columns,
                rows,
                footnotes: Vec::new(),
            },
            chart: None,
        })
    }
}

/// Size-class labels by code.
pub fn size_class_labels(def: &Definition, lang: Lang) -> HashMap<String, String> {
    def.design()
        .into_iter()
        .flat_map(|d| &d.size_classes)
        .map(|c| (c.code.clone(), c.label.get(lang).to_owned()))
        .collect()
}

fn disclosure_rules(spec: &AnalysisSpec) -> DisclosureRules {
    let mut rules = DisclosureRules::default();
    if let Some(d) = &spec.disclosure {
        if let Some(n) = d.min_enterprises {
            rules.min_enterprises = n as usize;
        }
        if let Some(n) = d.dominance_n {
            rules.dominance_n = n as usize;
        }
        if let Some(k) = d.dominance_k {
            rules.dominance_k = k;
        }
        if let Some(p) = d.protection {
            rules.protection = p;
        }
    }
    rules
}

/// The breakdowns, and the class each unit is imputed within (its stratum: the frame's,
/// or without a frame the section and size class of its own answers).
fn breakdowns(
    def: &Definition,
    lang: Lang,
    data: &Dataset,
    sample: &Sample,
    frame: Option<&Frame>,
) -> (Breakdowns, Vec<ImputationClass>) {
    let design = def.design();
    let industry: Vec<Option<String>> = design.map_or_else(
        || vec![None; sample.units()],
        |d| sample.pick(&data.texts(&d.industry_question)),
    );
    let employees: Vec<Option<f64>> = design.map_or_else(
        || vec![None; sample.units()],
        |d| sample.pick(&data.numbers(&d.size_question)),
    );
    // With a frame, sections and size classes are the frame's (the strata); without, the
    // returns' own answers.
    let (sections, classes): (Vec<Option<String>>, Vec<Option<String>>) = if frame.is_some() {
        sample
            .unit_strata
            .iter()
            .map(|s| (Some(s.section.to_string()), Some(s.size_class.clone())))
            .unzip()
    } else {
        industry
            .iter()
            .zip(&employees)
            .map(|(ind, emp)| {
                let section = ind.as_deref().and_then(industry_section).map(|s| s.code.to_string());
                let class = emp
                    .filter(|e| *e >= 0.0)
                    .and_then(|e| def.size_class(e as u64))
                    .map(|c| c.code.clone());
                (section, class)
            })
            .unzip()
    };
    // A division is kept only within its own section, so that the divisions of a section
    // add up to (part of) it: with a frame the section is the frame's, and a return whose
    // answered division lies in another section is counted as not classifiable.
    let divisions: Vec<Option<String>> = industry
        .iter()
        .zip(&sections)
        .map(|(i, section)| {
            let division = i.as_deref().and_then(industry_division)?;
            let own = industry_section(division.code)?.code.to_string();
            (section.as_deref() == Some(own.as_str())).then(|| division.code.to_owned())
        })
        .collect();
    let classes_of_units: Vec<ImputationClass> = sections
        .iter()
        .zip(&classes)
        .map(|(section, class)| ImputationClass {
            section: section.as_deref().and_then(|s| s.chars().next()),
            size_class: class.clone(),
        })
        .collect();
    let section = Breakdown::from_codes(
        "section",
        tr(lang, "行业门类", "Sector (GB/T 4754 section)"),
        &sections,
        INDUSTRY_SECTIONS
            .iter()
            .map(|s| (s.code.to_string(), tr(lang, s.zh, s.en))),
        false,
    );
    let mut division = Breakdown::from_codes(
        "division",
        tr(lang, "行业大类", "Industry (GB/T 4754 division)"),
        &divisions,
        INDUSTRY_DIVISIONS
            .iter()
            .map(|d| (d.code.to_owned(), tr(lang, d.zh, d.en))),
        false,
    );
    // Divisions add up to their section, published on the sector sheet.
    division.parent = Some("section");
    for d in &mut division.domains {
        d.parent = industry_section(&d.code).map(|s| s.code.to_string());
    }
    let not_stated = tr(lang, "未注明或无法归类", "Not stated or not classifiable");
    let units = sample.units();
    let section = section.with_remainder(not_stated.clone(), units);
    let division = division.with_remainder(not_stated.clone(), units);
    let size_class = Breakdown::from_codes(
        "size_class",
        tr(lang, "企业规模", "Size class"),
        &classes,
        design
            .iter()
            .flat_map(|d| &d.size_classes)
            .map(|c| (c.code.clone(), c.label.get(lang).to_owned())),
        true,
    )
    .with_remainder(not_stated.clone(), units);
    let subdistrict = design.and_then(|d| d.subdistrict_question.as_deref()).and_then(|q| {
        let question = def.question(q)?;
        let list = question.kind.choices()?;
        let codes = sample.pick(&data.texts(q));
        Some(
            Breakdown::from_codes(
                "subdistrict",
                tr(lang, "街道", "Sub-district"),
                &codes,
                list.options
                    .iter()
                    .map(|o| (o.code.clone(), o.label.get(lang).to_owned())),
                true,
            )
            .with_remainder(not_stated.clone(), units),
        )
    });
    (
        Breakdowns {
            section,
            division,
            size_class,
            subdistrict,
        },
        classes_of_units,
    )
}
