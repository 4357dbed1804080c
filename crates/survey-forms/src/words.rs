//! Skip logic in words: a question's `relevant` expression as the sentence a respondent
//! reads beside it ("answer only if …"), in the form's language, with question and option
//! labels in place of ids and codes.
//!
//! The common shapes read naturally (`wage_payment == 'in_arrears'`: answer only if
//! "Wage payment" is "In arrears"; a yes/no question alone: … is yes; `x in [...]`:
//! … is A or B; `sum(table.column) > 0`: the total of …); anything else is still written
//! out, operator by operator, with labels for names, so every condition is shown.

use survey_def::expr::{BinOp, Expr, ExprKind, Func};
use survey_def::{Definition, Lang, Question, QuestionKind};

/// "仅当……时作答" / "Answer only if …" for the question whose `relevant` is `condition`;
/// `table` is the table a column's condition is read in.
pub fn answer_only_if(condition: &Expr, def: &Definition, table: Option<&Question>, lang: Lang) -> String {
    let words = Words { def, table, lang };
    let said = words.say(condition);
    match lang {
        Lang::Zh => format!("仅当{said}时作答"),
        Lang::En => format!("Answer only if {said}"),
    }
}

struct Words<'a> {
    def: &'a Definition,
    table: Option<&'a Question>,
    lang: Lang,
}

impl Words<'_> {
    fn zh(&self) -> bool {
        self.lang == Lang::Zh
    }

    /// Quoted with the curly quotes both languages use.
    fn quote(&self, text: &str) -> String {
        format!("“{text}”")
    }

    /// The question a name refers to: a column of the current table row first.
    fn question(&self, name: &str) -> Option<&Question> {
        self.table
            .and_then(|t| t.column(name))
            .or_else(|| self.def.question(name))
    }

    fn label(&self, name: &str) -> String {
        match self.question(name) {
            Some(q) => self.quote(q.label.get(self.lang)),
            None => self.quote(name),
        }
    }

    /// A literal compared with `name`: its option label when `name` is a choice.
    fn value_of(&self, name: Option<&str>, literal: &Expr) -> String {
        if let ExprKind::Text(code) = &literal.kind {
            let option = name
                .and_then(|n| self.question(n))
                .and_then(|q| q.kind.choices())
                .and_then(|c| c.options.iter().find(|o| o.code == *code));
            return match option {
                Some(o) => self.quote(o.label.get(self.lang)),
                None => self.quote(code),
            };
        }
        self.say(literal)
    }

    fn is_boolean(&self, e: &Expr) -> bool {
        matches!(&e.kind, ExprKind::Name(n) if self.question(n).is_some_and(|q| matches!(q.kind, QuestionKind::Boolean)))
    }

    fn yes_no(&self, yes: bool) -> &'static str {
        match (self.zh(), yes) {
            (true, true) => "“是”",
            (true, false) => "“否”",
            (false, true) => "yes",
            (false, false) => "no",
        }
    }

    fn say(&self, e: &Expr) -> String {
        let zh = self.zh();
        match &e.kind {
            ExprKind::Name(n) if self.is_boolean(e) => {
                if zh {
                    format!("{}为{}", self.label(n), self.yes_no(true))
                } else {
                    format!("{} is {}", self.label(n), self.yes_no(true))
                }
            }
            ExprKind::Name(n) => self.label(n),
            ExprKind::Not(inner) if self.is_boolean(inner) => {
                let ExprKind::Name(n) = &inner.kind else {
                    unreachable!("is_boolean matched a name")
                };
                if zh {
                    format!("{}为{}", self.label(n), self.yes_no(false))
                } else {
                    format!("{} is {}", self.label(n), self.yes_no(false))
                }
            }
            ExprKind::Not(inner) => {
                if zh {
                    format!("并非（{}）", self.say(inner))
                } else {
                    format!("not ({})", self.say(inner))
                }
            }
            ExprKind::Number(n) => number(*n),
            ExprKind::Text(t) => self.quote(t),
            ExprKind::Bool(b) => self.yes_no(*b).trim_matches(['“', '”']).to_owned(),
            ExprKind::Param(p) => self.def.parameter(p).map_or_else(|| format!("${p}"), number),
            ExprKind::Column { table, column } => {
                let t = self.def.question(table);
                let c = t.and_then(|t| t.column(column));
                match (t, c) {
                    (Some(t), Some(c)) if zh => {
                        format!(
                            "{}中的{}",
                            self.quote(t.label.get(self.lang)),
                            self.quote(c.label.get(self.lang))
                        )
                    }
                    (Some(t), Some(c)) => format!(
                        "{} in {}",
                        self.quote(c.label.get(self.lang)),
                        self.quote(t.label.get(self.lang))
                    ),
                    _ => self.quote(&format!("{table}.{column}")),
                }
            }
            ExprKind::Neg(inner) => format!("-{}", self.say(inner)),
            ExprKind::In { value, list, negated } => {
                let name = match &value.kind {
                    ExprKind::Name(n) => Some(n.as_str()),
                    _ => None,
                };
                let options: Vec<String> = list.iter().map(|l| self.value_of(name, l)).collect();
                let subject = self.say(value);
                match (zh, negated) {
                    (true, false) => format!("{subject}为{}", options.join("或")),
                    (true, true) => format!("{subject}不是{}", options.join("、")),
                    (false, false) => format!("{subject} is {}", or_list(&options, "or")),
                    (false, true) => format!("{subject} is none of {}", options.join(", ")),
                }
            }
            ExprKind::Binary(op @ (BinOp::And | BinOp::Or), left, right) => {
                let part = |side: &Expr| {
                    let said = self.say(side);
                    // An `or` inside an `and` (and the reverse) keeps its grouping.
                    match &side.kind {
                        ExprKind::Binary(inner @ (BinOp::And | BinOp::Or), ..) if inner != op => {
                            if zh {
                                format!("（{said}）")
                            } else {
                                format!("({said})")
                            }
                        }
                        _ => said,
                    }
                };
                let joiner = match (zh, op) {
                    (true, BinOp::And) => "，且",
                    (true, _) => "，或",
                    (false, BinOp::And) => " and ",
                    (false, _) => " or ",
                };
                format!("{}{joiner}{}", part(left), part(right))
            }
            ExprKind::Binary(op, left, right) => {
                let name = match &left.kind {
                    ExprKind::Name(n) => Some(n.as_str()),
                    _ => None,
                };
                let subject = self.say(left);
                let object = self.value_of(name, right);
                if let Some(relation) = relation(*op, zh) {
                    if zh {
                        format!("{subject}{relation}{object}")
                    } else {
                        format!("{subject} {relation} {object}")
                    }
                } else {
                    format!("{subject} {} {object}", op.symbol())
                }
            }
            ExprKind::Call(func, args) => self.call(*func, args),
        }
    }

    fn call(&self, func: Func, args: &[Expr]) -> String {
        let zh = self.zh();
        let arg = |i: usize| args.get(i).map(|a| self.say(a)).unwrap_or_default();
        match func {
            Func::Sum => {
                if zh {
                    format!("{}合计", arg(0))
                } else {
                    format!("the total of {}", arg(0))
                }
            }
            Func::Count => {
                if zh {
                    format!("{}的行数", arg(0))
                } else {
                    format!("the number of rows of {}", arg(0))
                }
            }
            Func::Answered => {
                if zh {
                    format!("已回答{}", arg(0))
                } else {
                    format!("{} is answered", arg(0))
                }
            }
            Func::Missing => {
                if zh {
                    format!("未回答{}", arg(0))
                } else {
                    format!("{} is not answered", arg(0))
                }
            }
            Func::Selected => {
                let name = match args.first().map(|a| &a.kind) {
                    Some(ExprKind::Name(n)) => Some(n.as_str()),
                    _ => None,
                };
                let option = args.get(1).map(|o| self.value_of(name, o)).unwrap_or_default();
                if zh {
                    format!("{}选择了{option}", arg(0))
                } else {
                    format!("{option} is ticked in {}", arg(0))
                }
            }
            Func::CountSelected => {
                if zh {
                    format!("{}所选项数", arg(0))
                } else {
                    format!("the number of options ticked in {}", arg(0))
                }
            }
            _ => {
                let args: Vec<String> = args.iter().map(|a| self.say(a)).collect();
                format!("{}({})", function_name(func), args.join(", "))
            }
        }
    }
}

/// A function as written in a definition: `CountSelected` is `count_selected`.
fn function_name(func: Func) -> String {
    let mut out = String::new();
    for (i, c) in format!("{func:?}").chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// A comparison in words, `None` for arithmetic.
fn relation(op: BinOp, zh: bool) -> Option<&'static str> {
    Some(match (op, zh) {
        (BinOp::Eq, true) => "为",
        (BinOp::Ne, true) => "不为",
        (BinOp::Gt, true) => "大于",
        (BinOp::Ge, true) => "不少于",
        (BinOp::Lt, true) => "小于",
        (BinOp::Le, true) => "不超过",
        (BinOp::Eq, false) => "is",
        (BinOp::Ne, false) => "is not",
        (BinOp::Gt, false) => "is more than",
        (BinOp::Ge, false) => "is at least",
        (BinOp::Lt, false) => "is less than",
        (BinOp::Le, false) => "is at most",
        _ => return None,
    })
}

/// "a", "a or b", "a, b or c".
fn or_list(items: &[String], word: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} {word} {last}", rest.join(", ")),
    }
}

/// A number as a person writes it: whole numbers without a decimal point.
fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn shipped() -> Definition {
        survey_def::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../survey-defs/spring-2024.toml")).unwrap()
    }

    fn said(def: &Definition, id: &str, lang: Lang) -> String {
        let q = def.question(id).unwrap_or_else(|| panic!("{id}"));
        answer_only_if(q.relevant.as_ref().unwrap(), def, None, lang)
    }

    #[test]
    fn the_shipped_conditions_read_as_sentences() {
        let def = shipped();
        assert_eq!(
            said(&def, "stopped_since", Lang::Zh),
            "仅当“目前生产经营状况”为“部分停工停产”或“全面停工停产”时作答"
        );
        assert_eq!(
            said(&def, "stopped_since", Lang::En),
            "Answer only if \u{201c}Current operating status\u{201d} is \u{201c}Production partly stopped\u{201d} or \u{201c}Production stopped\u{201d}"
        );
        let wage_label = def.question("wage_payment").unwrap().label.zh.clone();
        assert_eq!(
            said(&def, "arrears_workers", Lang::Zh),
            format!("仅当“{wage_label}”为“存在拖欠（超过约定发薪日仍未支付）”时作答")
        );
        // A yes/no question alone reads as "… is yes".
        let applied = def.question("training_subsidy_applied").unwrap();
        let text = answer_only_if(applied.relevant.as_ref().unwrap(), &def, None, Lang::En);
        assert!(text.ends_with(" is yes"), "{text}");
        assert!(!text.contains("training_subsidy_aware"), "{text}");
    }

    #[test]
    fn tables_sums_and_groups_read_as_sentences() {
        let def = shipped();
        let table = def.question("vacancies").unwrap();
        let column = table.columns().iter().find(|c| c.relevant.is_some()).unwrap();
        let text = answer_only_if(column.relevant.as_ref().unwrap(), &def, Some(table), Lang::En);
        assert!(
            text.contains("is more than 0") && !text.contains("hard_to_fill"),
            "{text}"
        );
        assert_eq!(
            said(&def, "recruitment_difficulties", Lang::Zh),
            "仅当“岗位空缺”中的“其中难招人数”合计大于0时作答"
                .replace("岗位空缺", &table.label.zh)
                .replace("其中难招人数", &table.column("hard_to_fill").unwrap().label.zh)
        );
        let e =
            survey_def::expr::parse("(employees_now > 10 or planned_hires >= 2) and not financial_difficulty").unwrap();
        let text = answer_only_if(&e, &def, None, Lang::En);
        assert!(
            text.starts_with("Answer only if (\u{201c}") && text.contains(" or ") && text.ends_with(" is no"),
            "{text}"
        );
        let e = survey_def::expr::parse("operating_status not in ['stopped']").unwrap();
        assert!(answer_only_if(&e, &def, None, Lang::Zh).contains("不是“全面停工停产”"));
    }
}
