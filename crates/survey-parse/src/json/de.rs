//! Strict reading of JSON returns straight into `RawReturn`s: no tree of values in
//! between, object keys borrowed from the input while they are checked for duplicates,
//! and each value's place kept as a position (`ValueRef`) rather than a written-out path.
//!
//! Every value is visited through serde_json's `deserialize_any`, as a tree of values
//! would be, so nesting is bounded by the same recursion limit and errors carry the same
//! positions; a shape that is not a return is noted and the rest still read, so a syntax
//! error anywhere in the value wins over a wrong shape, as when the whole value is parsed
//! first.

use crate::raw::{RawCell, RawReturn, RawRow, RawValue, ValueRef};
use crate::rejection::excerpt;
use rustc_hash::FxHashSet;
use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// Why a JSON value is not a return.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum NotAReturn {
    /// Not an object.
    NotAnObject,
    /// A top-level field other than the known ones (the first, in document order).
    UnknownField(String),
    /// No `answers`, or `answers` is not an object.
    NoAnswers,
}

/// One JSON value read as a return (`source` and `file_modified` left for the caller).
pub(super) type Shape = Result<Box<RawReturn>, NotAReturn>;

/// Reads `text` (without a byte-order mark) as one JSON value, a return. (An array of
/// returns is cut into its items before they reach here.)
pub(super) fn parse(text: &str) -> Result<Shape, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let shape = de.deserialize_any(ReturnVisitor)?;
    de.end()?;
    Ok(shape)
}

/// An object key, borrowed from the input unless it holds escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// The keys of one object so far: a second use of a key is an error (serde_json alone
/// would keep the last value silently).
#[derive(Default)]
struct Keys<'de>(FxHashSet<Cow<'de, str>>);

impl<'de> Keys<'de> {
    fn insert<E: de::Error>(&mut self, key: &Key<'de>) -> Result<(), E> {
        if self.0.insert(key.0.clone()) {
            Ok(())
        } else {
            Err(E::custom(format!("duplicate key `{}`", excerpt(&key.0))))
        }
    }
}

fn finite<E: de::Error>(v: f64) -> Result<f64, E> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(E::custom("number out of range"))
    }
}

/// Every visitor below reads a scalar the same way; `$out` turns the `RawValue` into the
/// visitor's result.
macro_rules! scalars {
    ($value:ty, $out:expr) => {
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<$value, E> {
            Ok($out(RawValue::Bool(v)))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<$value, E> {
            Ok($out(RawValue::Number(v as f64)))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<$value, E> {
            Ok($out(RawValue::Number(v as f64)))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<$value, E> {
            Ok($out(RawValue::Number(finite(v)?)))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<$value, E> {
            Ok($out(RawValue::Text(v.to_owned())))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<$value, E> {
            Ok($out(RawValue::Text(v)))
        }
        fn visit_unit<E: de::Error>(self) -> Result<$value, E> {
            Ok($out(RawValue::Empty))
        }
        fn visit_none<E: de::Error>(self) -> Result<$value, E> {
            Ok($out(RawValue::Empty))
        }
    };
}

/// A value that is only checked (duplicate keys, numbers), not kept.
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Skip, E> {
        finite(v).map(|_| Skip)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_none<E: de::Error>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Skip, A::Error> {
        skip_map(map)
    }
}

fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Skip, A::Error> {
    let mut keys = Keys::default();
    while let Some(key) = map.next_key::<Key<'de>>()? {
        keys.insert(&key)?;
        map.next_value::<Skip>()?;
    }
    Ok(Skip)
}

/// A value as a reader keeps it: an object is `RawValue::Object` (checked, not kept).
struct Any(RawValue);

impl<'de> Deserialize<'de> for Any {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(AnyVisitor)
    }
}

struct AnyVisitor;

impl<'de> Visitor<'de> for AnyVisitor {
    type Value = Any;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    scalars!(Any, Any);
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Any, A::Error> {
        let mut items = Vec::new();
        while let Some(Any(item)) = seq.next_element::<Any>()? {
            items.push(item);
        }
        Ok(Any(RawValue::List(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Any, A::Error> {
        skip_map(map).map(|_| Any(RawValue::Object))
    }
}

/// An item of an answer's array: an object makes the answer a table's rows.
enum Item {
    Value(RawValue),
    Row(Vec<(String, RawValue)>),
}

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ItemVisitor)
    }
}

struct ItemVisitor;

impl<'de> Visitor<'de> for ItemVisitor {
    type Value = Item;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    scalars!(Item, Item::Value);
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Item, A::Error> {
        AnyVisitor.visit_seq(seq).map(|Any(v)| Item::Value(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Item, A::Error> {
        let mut keys = Keys::default();
        let mut cells = Vec::new();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            keys.insert(&key)?;
            let Any(value) = map.next_value::<Any>()?;
            cells.push((key.0.into_owned(), value));
        }
        Ok(Item::Row(cells))
    }
}

/// One answer: a value, or the items of an array (a table's rows when any is an object).
enum Answer {
    Value(RawValue),
    Items(Vec<Item>),
}

impl<'de> Deserialize<'de> for Answer {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(AnswerVisitor)
    }
}

struct AnswerVisitor;

impl<'de> Visitor<'de> for AnswerVisitor {
    type Value = Answer;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    scalars!(Answer, Answer::Value);
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Answer, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Item>()? {
            items.push(item);
        }
        Ok(Answer::Items(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Answer, A::Error> {
        skip_map(map).map(|_| Answer::Value(RawValue::Object))
    }
}

/// The `answers` object, into `ret`; anything else leaves `ret` untouched and gives false.
struct AnswersSeed<'r>(&'r mut RawReturn);

impl<'de> DeserializeSeed<'de> for AnswersSeed<'_> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for AnswersSeed<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    scalars!(bool, |_| false);
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<bool, A::Error> {
        SkipVisitor.visit_seq(seq).map(|_| false)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let ret = self.0;
        // Room for a questionnaire's answers at once, rather than growing by doubling.
        let mut keys = Keys(FxHashSet::with_capacity_and_hasher(
            ANSWERS_EXPECTED,
            Default::default(),
        ));
        ret.answers.reserve(ANSWERS_EXPECTED);
        while let Some(key) = map.next_key::<Key<'de>>()? {
            keys.insert(&key)?;
            let id = key.0.into_owned();
            match map.next_value::<Answer>()? {
                Answer::Items(items) if items.iter().any(|i| matches!(i, Item::Row(_))) => {
                    let table = ret.tables.len();
                    let rows = items
                        .into_iter()
                        .enumerate()
                        .map(|(row, item)| {
                            let at = ValueRef::Row { table, row };
                            let cells = match item {
                                Item::Row(cells) => cells
                                    .into_iter()
                                    .enumerate()
                                    .map(|(cell, (column, value))| {
                                        let location = ValueRef::Cell { table, row, cell }.location();
                                        (column, RawCell { value, location })
                                    })
                                    .collect(),
                                Item::Value(value) => vec![(
                                    String::new(),
                                    RawCell {
                                        value,
                                        location: at.location(),
                                    },
                                )],
                            };
                            RawRow {
                                cells,
                                location: at.location(),
                            }
                        })
                        .collect();
                    ret.tables.push((id, rows));
                }
                answer => {
                    let value = match answer {
                        Answer::Value(v) => v,
                        Answer::Items(items) => RawValue::List(
                            items
                                .into_iter()
                                .map(|i| match i {
                                    Item::Value(v) => v,
                                    Item::Row(_) => RawValue::Object,
                                })
                                .collect(),
                        ),
                    };
                    let location = ValueRef::Answer(ret.answers.len()).location();
                    ret.answers.push((id, RawCell { value, location }));
                }
            }
        }
        Ok(true)
    }
}

/// Answers reserved for before a return's `answers` object is read (more still fit).
const ANSWERS_EXPECTED: usize = 128;

/// A field of the return such as `survey`: text, or a number as written.
fn text_field(v: RawValue) -> Option<String> {
    match v {
        RawValue::Text(s) => Some(s),
        RawValue::Number(n) => Some(crate::raw::format_number(n)),
        _ => None,
    }
}

/// A return (an object).
struct ReturnVisitor;

impl<'de> Visitor<'de> for ReturnVisitor {
    type Value = Shape;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    scalars!(Shape, |_| Err(NotAReturn::NotAnObject));
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Shape, A::Error> {
        SkipVisitor.visit_seq(seq).map(|_| Err(NotAReturn::NotAnObject))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        let mut ret = Box::<RawReturn>::default();
        let mut keys = Keys::default();
        let mut unknown = None;
        let mut answers = false;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            keys.insert(&key)?;
            let field = match key.0.as_ref() {
                "survey" => &mut ret.survey_id,
                "version" => &mut ret.version,
                "fingerprint" => &mut ret.fingerprint,
                "submitted_at" => &mut ret.submitted_at,
                "answers" => {
                    answers = map.next_value_seed(AnswersSeed(&mut ret))?;
                    continue;
                }
                _ => {
                    map.next_value::<Skip>()?;
                    unknown.get_or_insert_with(|| key.0.into_owned());
                    continue;
                }
            };
            *field = text_field(map.next_value::<Any>()?.0);
        }
        let shape = match (unknown, answers) {
            (Some(field), _) => Err(NotAReturn::UnknownField(field)),
            (None, false) => Err(NotAReturn::NoAnswers),
            (None, true) => Ok(ret),
        };
        Ok(shape)
    }
}
