//! Method notes of the risk workbook: the rules as declared, what a missing answer
//! means, and the Hidiroglou-Berthelot rule with its parameters.

use super::assess::number_text;
use crate::context::Context;
use crate::previous::PreviousWave;
use crate::report::book::NoteSection;
use crate::{HbParameters, type7_quantile};
use std::collections::BTreeSet;
use survey_def::expr::ExprKind;

/// The section on risk rules: how they are applied, then each rule as declared.
pub fn rules_section(ctx: &Context<'_>) -> NoteSection {
    let mut paragraphs = vec![
        ctx.tr(
            "风险规则在问卷定义中声明（不写在程序里），对每一份接受的问卷逐条判断，包括不在抽样框内的企业；企业名单列出所有触发的规则。按规则、行业、街道的占比和涉及职工人数只用纳入估计的企业，按与其他表相同的方法加权并经保密审查。",
            "Risk rules are declared in the definition, not in the program. Every rule is applied to every accepted return, including those of enterprises outside the frame, and the enterprise list shows every rule tripped. The shares and employment at risk by rule, sector and sub-district use the enterprises in the estimates, weighted as in the other tables and under the same disclosure control.",
        ),
        ctx.tr(
            "条件为真时规则触发。条件读到缺少的回答而无法判断时，按未触发处理：该企业计入占比的分母，但不算触发。因此有缺答时，触发占比是下限。",
            "A rule trips when its condition is true. A condition that reads a missing answer cannot be decided and counts as not tripped: the enterprise is in the base of the share but not flagged. Where answers are missing the shares are therefore lower bounds.",
        ),
        ctx.tr(
            "涉及职工人数 = 触发规则企业的现有职工人数之和（加权），未触发的企业计为0；触发规则但未填职工人数的企业按缺答处理，与其他总量相同。保密审查只计触发规则的企业：依据少于阈值家数的单元格隐藏。",
            "Employment at risk = the employees of the enterprises that tripped the rule (weighted), 0 for the others; a flagged enterprise that did not give its employees is a missing answer, handled as in the other totals. Disclosure control counts only the flagged enterprises: a cell resting on fewer of them than the threshold is suppressed.",
        ),
    ];
    if ctx
        .def
        .risk_rules()
        .iter()
        .any(|r| !survey_def::expr::previous_references(&r.when).is_empty())
    {
        paragraphs.push(ctx.tr(
            "previous(题目) 读取同一企业（按企业代码匹配）在上期问卷中对该题的回答；上期问卷定义不同时，按角色或相同题目代码找到对应题目。企业上期没有问卷、或未提供上期数据时，该值为缺答，规则无法判断，按未触发处理。",
            "previous(question) reads the same enterprise's answer to the question in the previous wave (matched by enterprise id); when the previous wave had another definition, the question holding the same role, or else of the same id, is read. Where the enterprise has no return in the previous wave, or no previous wave was given, the answer is missing and the rule is undecided, so it does not trip.",
        ));
    }
    for rule in ctx.def.risk_rules() {
        let s = rule;
        let basis = s.basis.as_ref().map(|b| b.get(ctx.lang).to_owned());
        paragraphs.push(ctx.tr(
            &format!(
                "{}（{}，严重程度：{}）：条件 {}。{}",
                s.label.zh,
                s.id,
                s.severity.label(ctx.lang),
                s.when_text,
                basis.as_ref().map(|b| format!("依据：{b}。")).unwrap_or_default()
            ),
            &format!(
                "{} ({}, severity {}): when {}.{}",
                s.label.en,
                s.id,
                s.severity.label(ctx.lang),
                s.when_text,
                basis.map(|b| format!(" Basis: {b}.")).unwrap_or_default()
            ),
        ));
    }
    let mut parameters = BTreeSet::new();
    for rule in ctx.def.risk_rules() {
        rule.when.walk(&mut |e| {
            if let ExprKind::Param(p) = &e.kind {
                parameters.insert(p.clone());
            }
        });
    }
    if !parameters.is_empty() {
        let list: Vec<String> = parameters
            .iter()
            .map(|p| {
                let value = ctx.def.parameter(p).map_or_else(|| "?".to_owned(), number_text);
                format!("${p} = {value}")
            })
            .collect();
        paragraphs.push(ctx.tr(
            &format!("规则中的参数（在问卷定义中设定）：{}。", list.join("；")),
            &format!("Parameters of the rules (set in the definition): {}.", list.join("; ")),
        ));
    }
    NoteSection {
        heading: ctx.tr("风险规则", "Risk rules"),
        paragraphs,
    }
}

/// The section on the comparison with the previous wave.
pub fn waves_section(ctx: &Context<'_>, previous: &PreviousWave<'_>) -> NoteSection {
    let p = HbParameters::default();
    // The quartile convention, shown so a reader can reproduce it in R (type 7).
    let example = type7_quantile(&[1.0, 2.0, 3.0, 4.0], 0.25).map_or_else(|| "?".to_owned(), number_text);
    let mut paragraphs = vec![
            ctx.tr(
                "两期问卷按统一社会信用代码匹配。上期问卷按同一问卷定义判断风险规则；“新增风险”为本期触发、上期同一企业未触发（含无法判断）的规则，只比较两期都有问卷的企业。",
                "Returns of the two waves are matched by enterprise id. The previous wave's returns are judged by the same rules of the same definition; a new flag is a rule tripped now that the same enterprise did not trip in the previous wave (including where it could not be decided there). Only enterprises with returns in both waves are compared.",
            ),
            ctx.tr(
                "职工人数和职位空缺（企业各岗位行的空缺人数之和）分别用Hidiroglou-Berthelot方法判断异常变化。对两期数值 x（上期）、y（本期）都大于0的企业：r = y/x，r_med 为 r 的中位数；r < r_med 时 s = 1 − r_med/r，否则 s = r/r_med − 1；效应 E = s × max(x, y)^U。",
                "Headcount and vacancies (openings summed over an enterprise's vacancy lines) are each screened by the Hidiroglou-Berthelot rule. For enterprises with previous value x and current value y both above 0: r = y/x, r_med the median of r; s = 1 - r_med/r when r < r_med, else s = r/r_med - 1; effect E = s * max(x, y)^U.",
            ),
            ctx.tr(
                &format!(
                    "E_q1、E_med、E_q3 为 E 的四分位数（R默认的第7类分位数，例如 1,2,3,4 的下四分位数为 {example}）。E < E_med − C × max(E_med − E_q1, |A × E_med|) 或 E > E_med + C × max(E_q3 − E_med, |A × E_med|) 时为异常。参数：U = {}，A = {}，C = {}。",
                    number_text(p.u),
                    number_text(p.a),
                    number_text(p.c)
                ),
                &format!(
                    "E_q1, E_med, E_q3 are the quartiles of E (R's default, type 7: the lower quartile of 1, 2, 3, 4 is {example}). An enterprise is an outlier when E < E_med - C * max(E_med - E_q1, |A * E_med|) or E > E_med + C * max(E_q3 - E_med, |A * E_med|). Parameters: U = {}, A = {}, C = {}.",
                    number_text(p.u),
                    number_text(p.a),
                    number_text(p.c)
                ),
            ),
            ctx.tr(
                "某期数值为0或未填的企业不作判断（比率无法衡量新开、关闭或无空缺的企业），比较表下注明各有多少家。比较表只列出在职工人数或职位空缺上为异常的企业，逐项注明两个指标的判断；其余匹配企业的变化在界限之内或未判断。异常只提示核实，不等于填报错误。",
                "Enterprises with 0 or no answer in either wave are not assessed (a ratio cannot judge an enterprise that opened, closed or has no vacancies); the notes under the change sheet count them. The change sheet lists only the enterprises that are outliers in headcount or vacancies, with the judgement on each measure; the other matched enterprises' changes are inside the bounds or not assessed. An outlier is a prompt to check, not a finding of error.",
            ),
    ];
    if !previous.matching.same_definition {
        paragraphs.push(ctx.tr(
            &format!(
                "上期问卷按其自己的问卷定义（{}）读取。两期题目按问卷定义中的角色对应：企业代码、[analysis]与[design]中的各角色、岗位空缺表各列的角色；其余题目按相同题目代码、相同回答类型对应。本期规则读取上期没有对应题目的回答时视为缺答；职工人数按两期各自的“employees”角色比较。",
                previous.identity()
            ),
            &format!(
                "The previous wave's returns are read with their own definition ({}). Questions of the two waves are matched by the roles the definitions declare: the enterprise id, the [analysis] and [design] roles and the column roles of the vacancy table; any other question by the same id with the same kind of answer. A rule reading a question the previous wave has no match for reads a missing answer there; headcount is compared through each wave's own `employees` role.",
                previous.identity()
            ),
        ));
        if !previous.matching.roles_missing.is_empty() {
            paragraphs.push(ctx.tr(
                &format!(
                    "上期问卷定义没有的角色（不作比较）：{}。",
                    previous.matching.roles_missing.join("；")
                ),
                &format!(
                    "Roles the previous wave's definition does not have (not compared): {}.",
                    previous.matching.roles_missing.join("; ")
                ),
            ));
        }
    }
    NoteSection {
        heading: ctx.tr(
            "与上期比较与HB异常值",
            "Previous wave and Hidiroglou-Berthelot outliers",
        ),
        paragraphs,
    }
}
