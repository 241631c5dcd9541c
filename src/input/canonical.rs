//! The canonical record format in JSON (`docs/records.md`), read leniently:
//! a field of the wrong type becomes a data-quality warning and is left
//! missing, so one bad field never costs the whole record. Only broken JSON,
//! or a record that is not an object, is an input error.
//!
//! The reader is the costliest step of a run, so it reads straight into the
//! record (no intermediate JSON tree), borrows texts where it can, and skips
//! the fields no loaded rule or report needs.

use crate::record::*;
use crate::schema::{Domain, FieldIndex, FieldType, Want, idx};
use crate::value::{Currency, Money};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// Parse one record from JSON text, reading every canonical field.
pub fn parse_record(json: &[u8]) -> Result<Record, serde_json::Error> {
    parse_record_with(json, &Want::all())
}

/// Parse one record, reading only the canonical fields in `want` (and
/// `id`), and the declared fields.
pub fn parse_record_with(json: &[u8], want: &Want) -> Result<Record, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(json);
    let record = RecordSeed { want }.deserialize(&mut de)?;
    de.end()?;
    Ok(record)
}

/// Where a field sits, for warnings: `buyer.kind`, `lots[2].title`.
#[derive(Clone, Copy)]
struct At<'p> {
    parent: &'p str,
    index: Option<usize>,
    field: &'p str,
}

impl At<'_> {
    fn top(field: &str) -> At<'_> {
        At {
            parent: "",
            index: None,
            field,
        }
    }

    fn render(&self) -> String {
        match (self.parent.is_empty(), self.index, self.field.is_empty()) {
            (true, _, _) => self.field.to_string(),
            (false, Some(i), true) => format!("{}[{}]", self.parent, i),
            (false, None, _) => format!("{}.{}", self.parent, self.field),
            (false, Some(i), false) => format!("{}[{}].{}", self.parent, i, self.field),
        }
    }
}

/// What a parse carries along: the warnings so far and the fields wanted.
struct Cx {
    warnings: Vec<DataWarning>,
    want: Want,
}

impl Cx {
    fn warn(&mut self, at: At<'_>, message: String) {
        self.warnings.push(DataWarning {
            field: at.render(),
            message,
        });
    }

    fn wants(&self, field: FieldIndex) -> bool {
        self.want.fields.contains(field)
    }
}

/// A JSON value where a scalar belongs.
enum Leaf<'de> {
    Null,
    Bool(bool),
    Str(Cow<'de, str>),
    /// A number, as text (exact).
    Number(Cow<'de, str>),
    Object,
    Array,
}

/// Reads any JSON value as a [`Leaf`], borrowing texts where possible.
/// Numbers come as `u64`/`i64`/`f64`; for amounts, which must stay exact,
/// [`read_decimal`] reads the number's text instead.
struct LeafSeed;

impl<'de> DeserializeSeed<'de> for LeafSeed {
    type Value = Leaf<'de>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Leaf<'de>, D::Error> {
        d.deserialize_any(LeafVisitor)
    }
}

struct LeafVisitor;

impl<'de> Visitor<'de> for LeafVisitor {
    type Value = Leaf<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Bool(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Str(Cow::Owned(v.to_string())))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Number(Cow::Owned(v.to_string())))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Number(Cow::Owned(v.to_string())))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Number(Cow::Owned(v.to_string())))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Leaf<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Leaf::Object)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Leaf<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Leaf::Array)
    }
}

impl<'de> Leaf<'de> {
    fn read<A: MapAccess<'de>>(map: &mut A) -> Result<Leaf<'de>, A::Error> {
        map.next_value_seed(LeafSeed)
    }

    fn describe(&self) -> String {
        match self {
            Leaf::Null => "null".to_string(),
            Leaf::Bool(b) => format!("`{b}`"),
            Leaf::Str(s) => format!("the text {}", quote(s)),
            Leaf::Number(n) => format!("the number `{n}`"),
            Leaf::Object => "an object".to_string(),
            Leaf::Array => "a list".to_string(),
        }
    }

    fn text(self, cx: &mut Cx, at: At<'_>) -> Option<String> {
        match self {
            Leaf::Null => None,
            Leaf::Str(s) => Some(s.into_owned()),
            // Organisation numbers and CPV codes are often written as numbers.
            Leaf::Number(n) => Some(n.into_owned()),
            other => {
                cx.warn(at, format!("expected a text, found {}", other.describe()));
                None
            }
        }
    }

    fn flag(self, cx: &mut Cx, at: At<'_>) -> Option<bool> {
        match self {
            Leaf::Null => None,
            Leaf::Bool(b) => Some(b),
            other => {
                cx.warn(at, format!("expected `true` or `false`, found {}", other.describe()));
                None
            }
        }
    }

    fn decimal(self, cx: &mut Cx, at: At<'_>) -> Option<Decimal> {
        let text = match &self {
            Leaf::Null => return None,
            Leaf::Number(n) => n.as_ref(),
            Leaf::Str(s) => s.trim(),
            other => {
                cx.warn(at, format!("expected a number, found {}", other.describe()));
                return None;
            }
        };
        match parse_decimal(text) {
            Some(d) => Some(d),
            None => {
                let why = if text.contains(',') || text.contains(' ') {
                    "; write amounts as plain decimals such as \"1300000.50\""
                } else {
                    ""
                };
                cx.warn(
                    at,
                    format!("{} is not a number anskaff can hold exactly{why}", self.describe()),
                );
                None
            }
        }
    }

    fn date(self, cx: &mut Cx, at: At<'_>) -> Option<NaiveDate> {
        match self {
            Leaf::Null => None,
            Leaf::Str(s) => match parse_date(&s) {
                Some(d) => Some(d),
                None => {
                    cx.warn(at, format!("expected a date YYYY-MM-DD, found {}", quote(&s)));
                    None
                }
            },
            other => {
                cx.warn(at, format!("expected a date YYYY-MM-DD, found {}", other.describe()));
                None
            }
        }
    }

    fn code(self, domain: Domain, cx: &mut Cx, at: At<'_>) -> Option<u8> {
        match self {
            Leaf::Null => None,
            Leaf::Str(s) => match domain.code(&s) {
                Some(c) => Some(c),
                None => {
                    let hint = crate::diag::did_you_mean(&s, domain.values().iter().copied())
                        .map(|h| format!("; {h}"))
                        .unwrap_or_else(|| format!("; known values: {}", domain.values().join(", ")));
                    cx.warn(at, format!("unknown {} {}{hint}", domain.name(), quote(&s)));
                    None
                }
            },
            other => {
                cx.warn(
                    at,
                    format!(
                        "expected {} text, found {}",
                        crate::diag::indefinite(domain.name()),
                        other.describe()
                    ),
                );
                None
            }
        }
    }
}

/// A number that must stay exact: read the JSON number's own text.
fn read_decimal<'de, A: MapAccess<'de>>(map: &mut A, cx: &mut Cx, at: At<'_>) -> Result<Option<Decimal>, A::Error> {
    let raw: &'de RawValue = map.next_value()?;
    let text = raw.get();
    let leaf = match text.as_bytes().first() {
        Some(b'-' | b'0'..=b'9') => Leaf::Number(Cow::Borrowed(text)),
        _ => LeafSeed.deserialize(raw).map_err(de::Error::custom)?,
    };
    Ok(leaf.decimal(cx, at))
}

fn quote(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() > MAX {
        let cut: String = s.chars().take(MAX).collect();
        format!("\"{cut}…\"")
    } else {
        format!("\"{s}\"")
    }
}

/// A decimal from JSON number text or a numeric string; exponents allowed,
/// anything that would lose digits refused.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    if text.is_empty() || text.len() > 64 {
        return None;
    }
    if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).ok()
    } else {
        Decimal::from_str_exact(text).ok()
    }
}

/// `YYYY-MM-DD`, or the date part of an ISO 8601 date-time.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    let day = match t.get(..10) {
        Some(d) if t.len() == 10 || t[10..].starts_with(['T', ' ']) => d.as_bytes(),
        _ => return None,
    };
    let digits = |range: std::ops::Range<usize>| {
        day[range]
            .iter()
            .try_fold(0u32, |n, &b| b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0')))
    };
    if day[4] != b'-' || day[7] != b'-' {
        return None;
    }
    let year = i32::try_from(digits(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, digits(5..7)?, digits(8..10)?)
}

/// An object key, borrowed unless it has escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// Reads the fields of one kind of JSON object.
trait Fields<'de> {
    /// Called when the object (possibly empty) starts.
    fn opened(&mut self) {}

    /// `false` if `key` is not a field of this object.
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A, cx: &mut Cx) -> Result<bool, A::Error>;
}

/// Drive `target` over a JSON object; `null` leaves it as it is.
struct ObjectSeed<'t, 'c, T> {
    target: &'t mut T,
    cx: &'c mut Cx,
    at: At<'t>,
}

impl<'de, T: Fields<'de>> DeserializeSeed<'de> for ObjectSeed<'_, '_, T> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: Fields<'de>> Visitor<'de> for ObjectSeed<'_, '_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.target.opened();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if !self.target.field(&key, &mut map, self.cx)? {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.wrong(&format!("`{v}`"))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.wrong(&format!("the number `{v}`"))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.wrong(&format!("the number `{v}`"))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.wrong(&format!("the number `{v}`"))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.wrong(&format!("the text {}", quote(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.wrong("a list")
    }
}

impl<T> ObjectSeed<'_, '_, T> {
    fn wrong<E>(self, found: &str) -> Result<(), E> {
        let at = At {
            field: if self.at.index.is_some() { "" } else { self.at.field },
            ..self.at
        };
        self.cx.warn(at, format!("expected an object, found {found}"));
        Ok(())
    }
}

fn skip<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<IgnoredAny>().map(|_| ())
}

/// A list of texts (`cpv`): a single text is taken as a list of one.
struct TextListSeed<'c> {
    cx: &'c mut Cx,
    name: &'static str,
}

impl<'de> DeserializeSeed<'de> for TextListSeed<'_> {
    type Value = Option<Vec<String>>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TextListSeed<'_> {
    type Value = Option<Vec<String>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of texts")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        let mut i = 0;
        while let Some(leaf) = seq.next_element_seed(LeafSeed)? {
            match leaf {
                Leaf::Str(s) => out.push(s.into_owned()),
                Leaf::Number(n) => out.push(n.into_owned()),
                other => {
                    let at = At {
                        parent: self.name,
                        index: Some(i),
                        field: "",
                    };
                    self.cx.warn(at, format!("expected a text, found {}", other.describe()));
                }
            }
            i += 1;
        }
        Ok(Some(out))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(vec![v.to_string()]))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(vec![v.to_string()]))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        self.cx
            .warn(At::top(self.name), "expected a list, found an object".to_string());
        Ok(None)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        self.cx.warn(At::top(self.name), "expected a list of texts".to_string());
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(vec![v.to_string()]))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(vec![v.to_string()]))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        self.cx.warn(At::top(self.name), "expected a list of texts".to_string());
        Ok(None)
    }
}

/// A list of objects, each read into a `T` through [`Fields`].
struct ItemListSeed<'c, T> {
    cx: &'c mut Cx,
    name: &'static str,
    _item: std::marker::PhantomData<T>,
}

impl<'c, T> ItemListSeed<'c, T> {
    fn new(cx: &'c mut Cx, name: &'static str) -> Self {
        ItemListSeed {
            cx,
            name,
            _item: std::marker::PhantomData,
        }
    }

    fn not_a_list<E>(self, found: &str) -> Result<Option<Vec<T>>, E> {
        self.cx
            .warn(At::top(self.name), format!("expected a list, found {found}"));
        Ok(None)
    }
}

impl<'de, T: Default> DeserializeSeed<'de> for ItemListSeed<'_, T>
where
    for<'a> ItemTarget<'a, T>: Fields<'de>,
{
    type Value = Option<Vec<T>>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: Default> Visitor<'de> for ItemListSeed<'_, T>
where
    for<'a> ItemTarget<'a, T>: Fields<'de>,
{
    type Value = Option<Vec<T>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        loop {
            let mut item = T::default();
            let index = out.len();
            let seed = ObjectSeed {
                target: &mut ItemTarget {
                    item: &mut item,
                    list: self.name,
                    index,
                },
                cx: &mut *self.cx,
                at: At {
                    parent: self.name,
                    index: Some(index),
                    field: "",
                },
            };
            match seq.next_element_seed(seed)? {
                Some(()) => out.push(item),
                None => break,
            }
        }
        Ok(Some(out))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        self.not_a_list("an object")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        self.not_a_list(&format!("`{v}`"))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        self.not_a_list(&format!("the number `{v}`"))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        self.not_a_list(&format!("the number `{v}`"))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        self.not_a_list(&format!("the number `{v}`"))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        self.not_a_list(&format!("the text {}", quote(v)))
    }
}

struct ItemTarget<'a, T> {
    item: &'a mut T,
    list: &'static str,
    index: usize,
}

impl<T> ItemTarget<'_, T> {
    fn at<'s>(&self, field: &'s str) -> At<'s> {
        At {
            parent: self.list,
            index: Some(self.index),
            field,
        }
    }
}

/// Read `$key`'s value with `$read` into `$slot` if field `$path` is wanted,
/// else skip it.
macro_rules! wanted {
    ($cx:expr, $map:expr, $path:literal, $read:expr) => {{
        const FIELD: FieldIndex = idx($path);
        if $cx.wants(FIELD) {
            Some($read)
        } else {
            skip($map)?;
            None
        }
    }};
}

impl<'de> Fields<'de> for ItemTarget<'_, Lot> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A, cx: &mut Cx) -> Result<bool, A::Error> {
        let at = self.at(key);
        let item = &mut *self.item;
        match key {
            "id" => item.id = wanted!(cx, map, "lots[].id", Leaf::read(map)?.text(cx, at)).flatten(),
            "title" => item.title = wanted!(cx, map, "lots[].title", Leaf::read(map)?.text(cx, at)).flatten(),
            "estimated_value" => {
                item.estimated_value = wanted!(cx, map, "lots[].estimated_value", read_money(map, cx, at)?).flatten()
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl<'de> Fields<'de> for ItemTarget<'_, Criterion> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A, cx: &mut Cx) -> Result<bool, A::Error> {
        let at = self.at(key);
        let item = &mut *self.item;
        match key {
            "name" => item.name = wanted!(cx, map, "award_criteria[].name", Leaf::read(map)?.text(cx, at)).flatten(),
            "type" => {
                item.kind = wanted!(
                    cx,
                    map,
                    "award_criteria[].type",
                    Leaf::read(map)?.code(Domain::CriterionType, cx, at)
                )
                .flatten()
            }
            "weight" => item.weight = wanted!(cx, map, "award_criteria[].weight", read_decimal(map, cx, at)?).flatten(),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl<'de> Fields<'de> for ItemTarget<'_, Vehicle> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A, cx: &mut Cx) -> Result<bool, A::Error> {
        let at = self.at(key);
        let item = &mut *self.item;
        match key {
            "class" => item.class = wanted!(cx, map, "vehicles[].class", Leaf::read(map)?.text(cx, at)).flatten(),
            "count" => {
                item.count = wanted!(cx, map, "vehicles[].count", read_decimal(map, cx, at)?)
                    .flatten()
                    .and_then(|n| not_negative(n, "number of vehicles", cx, at))
            }
            "fuel" => {
                item.fuel = wanted!(cx, map, "vehicles[].fuel", Leaf::read(map)?.code(Domain::Fuel, cx, at)).flatten()
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl<'de> Fields<'de> for ItemTarget<'_, Party> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A, cx: &mut Cx) -> Result<bool, A::Error> {
        let at = self.at(key);
        let item = &mut *self.item;
        match key {
            "id" => item.id = wanted!(cx, map, "participants[].id", Leaf::read(map)?.text(cx, at)).flatten(),
            "name" => item.name = wanted!(cx, map, "participants[].name", Leaf::read(map)?.text(cx, at)).flatten(),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl<'de> Fields<'de> for ItemTarget<'_, Exemption> {
    // Exemptions are always read whole: any rule may be waived.
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A, cx: &mut Cx) -> Result<bool, A::Error> {
        let at = self.at(key);
        let item = &mut *self.item;
        match key {
            "rule" => item.rule = Leaf::read(map)?.text(cx, at),
            "reason" => item.reason = Leaf::read(map)?.text(cx, at),
            "approved_by" => item.approved_by = Leaf::read(map)?.text(cx, at),
            "expires" => {
                let leaf = Leaf::read(map)?;
                let given = !matches!(leaf, Leaf::Null);
                item.expires = leaf.date(cx, at);
                item.expiry_unreadable = given && item.expires.is_none();
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// A number that cannot be below zero (a number of vehicles): a negative
/// one is a warning and the field is missing, as the table reader has it
/// (amounts: [`MoneyParts::finish`]).
fn not_negative(value: Decimal, what: &str, cx: &mut Cx, at: At<'_>) -> Option<Decimal> {
    if value.is_sign_negative() && !value.is_zero() {
        cx.warn(
            at,
            format!("a negative {what} ({value}) is not a value; the field is read as missing"),
        );
        None
    } else {
        Some(value)
    }
}

/// Money: `{"amount": "2400000", "currency": "NOK"}`.
fn read_money<'de, A: MapAccess<'de>>(map: &mut A, cx: &mut Cx, at: At<'_>) -> Result<Option<Money>, A::Error> {
    let mut parts = MoneyParts::default();
    map.next_value_seed(ObjectSeed {
        target: &mut parts,
        cx: &mut *cx,
        at,
    })?;
    Ok(parts.finish(cx, at))
}

#[derive(Default)]
struct MoneyParts {
    seen: bool,
    amount: Option<Decimal>,
    currency: Option<Currency>,
    currency_text: Option<String>,
    problems: Vec<String>,
}

impl<'de> Fields<'de> for MoneyParts {
    fn opened(&mut self) {
        self.seen = true;
    }

    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A, cx: &mut Cx) -> Result<bool, A::Error> {
        let mut local = Cx {
            warnings: Vec::new(),
            want: cx.want.clone(),
        };
        match key {
            "amount" => self.amount = read_decimal(map, &mut local, At::top(key))?,
            "currency" => match Leaf::read(map)? {
                Leaf::Str(s) => match Currency::parse(&s) {
                    Some(c) => self.currency = Some(c),
                    None => self.currency_text = Some(s.into_owned()),
                },
                Leaf::Null => {}
                other => self
                    .problems
                    .push(format!("currency: expected a text, found {}", other.describe())),
            },
            _ => return Ok(false),
        }
        self.problems.extend(
            local
                .warnings
                .into_iter()
                .map(|w| format!("{}: {}", w.field, w.message)),
        );
        Ok(true)
    }
}

impl MoneyParts {
    fn finish(self, cx: &mut Cx, at: At<'_>) -> Option<Money> {
        if !self.seen {
            return None;
        }
        let had_problems = !self.problems.is_empty();
        for p in self.problems {
            cx.warn(at, p);
        }
        let Some(amount) = self.amount else {
            if !had_problems {
                cx.warn(
                    at,
                    "money without an `amount`; write {\"amount\": \"…\", \"currency\": \"NOK\"}".to_string(),
                );
            }
            return None;
        };
        if amount.is_sign_negative() && !amount.is_zero() {
            cx.warn(
                at,
                format!("amount: a negative amount ({amount}) is not a value; the field is read as missing"),
            );
            return None;
        }
        match (self.currency, self.currency_text.as_deref().map(str::trim)) {
            (Some(c), _) if !c.is_iso() => {
                let hint = c
                    .closest_iso()
                    .map(|h| format!("; did you mean `{h}`?"))
                    .unwrap_or_default();
                cx.warn(at, format!("`{c}` is not an ISO 4217 currency code{hint}"));
                None
            }
            (Some(c), _) => Some(Money::new(amount, c)),
            (None, Some(code)) if !code.is_empty() => {
                cx.warn(at, format!("`{code}` is not a three-letter currency code"));
                None
            }
            _ => {
                cx.warn(
                    at,
                    "amount without a currency; write {\"amount\": \"…\", \"currency\": \"NOK\"}".to_string(),
                );
                None
            }
        }
    }
}

struct RecordSeed<'w> {
    want: &'w Want,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = Record;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Record, D::Error> {
        let mut record = Record::default();
        let mut cx = Cx {
            warnings: Vec::new(),
            want: self.want.clone(),
        };
        d.deserialize_any(RecordVisitor {
            record: &mut record,
            cx: &mut cx,
        })?;
        record.warnings = cx.warnings;
        Ok(record)
    }
}

struct RecordVisitor<'r> {
    record: &'r mut Record,
    cx: &'r mut Cx,
}

impl<'de> Visitor<'de> for RecordVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a record: a JSON object with an `id`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut target = RecordTarget { record: self.record };
        // The fields read so far (a few dozen at most: unknown keys are not
        // kept), to tell of a field given twice.
        let mut read: Vec<Cow<'de, str>> = Vec::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let known =
                target.field(&key, &mut map, self.cx)? || read_declared(&key, &mut map, self.cx, target.record)?;
            if known {
                if read.contains(&key) {
                    self.cx.warn(
                        At::top(&key),
                        format!("the record gives `{key}` more than once; where the values differ, the last is used"),
                    );
                } else {
                    read.push(key);
                }
            } else {
                map.next_value::<IgnoredAny>()?;
                let known = crate::schema::FIELDS
                    .iter()
                    .map(|f| f.path)
                    .filter(|p| !p.contains(['.', '[']));
                if let Some(name) = crate::diag::closest(&key, known).filter(|n| *n != &*key) {
                    self.cx
                        .warn(At::top(&key), format!("unknown field `{key}`; did you mean `{name}`?"));
                }
            }
        }
        Ok(())
    }
}

/// Read the declared field at `path`, or the object holding declared fields
/// below it; `false` if no declared field is there.
fn read_declared<'de, A: MapAccess<'de>>(
    path: &str,
    map: &mut A,
    cx: &mut Cx,
    record: &mut Record,
) -> Result<bool, A::Error> {
    let extras = cx.want.extras.clone();
    if let Some((slot, field)) = extras.iter().enumerate().find(|(_, e)| e.path == path) {
        let at = At::top(field.path);
        let value = match field.ty {
            FieldType::Text => Leaf::read(map)?.text(cx, at).map(ExtraValue::Text),
            FieldType::Bool => Leaf::read(map)?.flag(cx, at).map(ExtraValue::Bool),
            FieldType::Date => Leaf::read(map)?.date(cx, at).map(ExtraValue::Date),
            FieldType::Number => read_decimal(map, cx, at)?.map(ExtraValue::Num),
            FieldType::Percent => read_decimal(map, cx, at)?.map(ExtraValue::Pct),
            FieldType::Money => read_money(map, cx, at)?.map(ExtraValue::Money),
            FieldType::TextList => map
                .next_value_seed(TextListSeed { cx, name: field.path })?
                .map(ExtraValue::Texts),
            FieldType::Code(_) | FieldType::Items(_) => {
                skip(map)?;
                None
            }
        };
        if let (Some(value), Ok(slot)) = (value, u8::try_from(slot)) {
            record.set_extra(slot, field.path, value);
        }
        return Ok(true);
    }
    let holds_declared = extras
        .iter()
        .any(|e| e.path.strip_prefix(path).is_some_and(|rest| rest.starts_with('.')));
    if !holds_declared {
        return Ok(false);
    }
    let mut object = DeclaredObject {
        prefix: path.to_string(),
        record,
    };
    map.next_value_seed(ObjectSeed {
        target: &mut object,
        cx,
        at: At::top(path),
    })?;
    Ok(true)
}

/// An object in a record that holds declared fields (`project` of
/// `project.code`).
struct DeclaredObject<'r> {
    prefix: String,
    record: &'r mut Record,
}

impl<'de> Fields<'de> for DeclaredObject<'_> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A, cx: &mut Cx) -> Result<bool, A::Error> {
        let path = format!("{}.{key}", self.prefix);
        read_declared(&path, map, cx, self.record)
    }
}

struct RecordTarget<'r> {
    record: &'r mut Record,
}

/// Whether any of the fields under `prefix` is wanted.
fn wants_any(cx: &Cx, prefix: &str) -> bool {
    crate::schema::FIELDS
        .iter()
        .enumerate()
        .any(|(i, f)| f.path.starts_with(prefix) && cx.wants(i as FieldIndex))
}

impl<'de> Fields<'de> for RecordTarget<'_> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A, cx: &mut Cx) -> Result<bool, A::Error> {
        let r = &mut *self.record;
        let at = At::top(key);
        match key {
            "id" => r.id = Leaf::read(map)?.text(cx, at),
            "stage" => r.stage = wanted!(cx, map, "stage", Leaf::read(map)?.code(Domain::Stage, cx, at)).flatten(),
            "title" => r.title = wanted!(cx, map, "title", Leaf::read(map)?.text(cx, at)).flatten(),
            "buyer" => map.next_value_seed(ObjectSeed {
                target: &mut BuyerTarget(&mut r.buyer),
                cx,
                at,
            })?,
            "participants" => {
                r.participants = wanted!(
                    cx,
                    map,
                    "participants",
                    map.next_value_seed(ItemListSeed::new(cx, "participants"))?
                )
                .flatten()
            }
            "date" => r.date = wanted!(cx, map, "date", Leaf::read(map)?.date(cx, at)).flatten(),
            "category" => {
                r.category = wanted!(cx, map, "category", Leaf::read(map)?.code(Domain::Category, cx, at)).flatten()
            }
            "cpv" => r.cpv = wanted!(cx, map, "cpv", map.next_value_seed(TextListSeed { cx, name: "cpv" })?).flatten(),
            "procedure" => {
                r.procedure = wanted!(cx, map, "procedure", Leaf::read(map)?.code(Domain::Procedure, cx, at)).flatten()
            }
            "estimated_value" => {
                r.estimated_value = wanted!(cx, map, "estimated_value", read_money(map, cx, at)?).flatten()
            }
            "awarded_value" => r.awarded_value = wanted!(cx, map, "awarded_value", read_money(map, cx, at)?).flatten(),
            "framework" => r.framework = wanted!(cx, map, "framework", Leaf::read(map)?.flag(cx, at)).flatten(),
            "duration_months" => {
                r.duration_months = wanted!(cx, map, "duration_months", read_decimal(map, cx, at)?).flatten()
            }
            "supplier" => {
                if wants_any(cx, "supplier.") {
                    map.next_value_seed(ObjectSeed {
                        target: &mut PartyTarget(&mut r.supplier, "supplier"),
                        cx,
                        at,
                    })?
                } else {
                    skip(map)?
                }
            }
            "lots" => r.lots = wanted!(cx, map, "lots", map.next_value_seed(ItemListSeed::new(cx, "lots"))?).flatten(),
            "lots_justification" => {
                r.lots_justification = wanted!(cx, map, "lots_justification", Leaf::read(map)?.text(cx, at)).flatten()
            }
            "award_criteria" => {
                r.award_criteria = wanted!(
                    cx,
                    map,
                    "award_criteria",
                    map.next_value_seed(ItemListSeed::new(cx, "award_criteria"))?
                )
                .flatten()
            }
            "environment" => {
                if wants_any(cx, "environment.") {
                    map.next_value_seed(ObjectSeed {
                        target: &mut EnvTarget(&mut r.environment),
                        cx,
                        at,
                    })?
                } else {
                    skip(map)?
                }
            }
            "vehicles" => {
                r.vehicles = wanted!(
                    cx,
                    map,
                    "vehicles",
                    map.next_value_seed(ItemListSeed::new(cx, "vehicles"))?
                )
                .flatten()
            }
            "construction" | "ecommerce" | "lcc" => {
                let object = match key {
                    "construction" => "construction",
                    "ecommerce" => "ecommerce",
                    _ => "lcc",
                };
                if wants_any(cx, object) {
                    map.next_value_seed(ObjectSeed {
                        target: &mut FlagsTarget { record: r, object },
                        cx,
                        at,
                    })?
                } else {
                    skip(map)?
                }
            }
            "labour" => {
                if wants_any(cx, "labour.") {
                    map.next_value_seed(ObjectSeed {
                        target: &mut LabourTarget(&mut r.labour),
                        cx,
                        at,
                    })?
                } else {
                    skip(map)?
                }
            }
            "rationale" => r.rationale = wanted!(cx, map, "rationale", Leaf::read(map)?.text(cx, at)).flatten(),
            "notice_id" => r.notice_id = wanted!(cx, map, "notice_id", Leaf::read(map)?.text(cx, at)).flatten(),
            "exemptions" => {
                r.exemptions = map.next_value_seed(ItemListSeed::new(cx, "exemptions"))?;
                for (i, e) in r.exemptions.iter().flatten().enumerate() {
                    if e.rule.is_none() {
                        let at = At {
                            parent: "exemptions",
                            index: Some(i),
                            field: "rule",
                        };
                        cx.warn(at, "an exemption without `rule` waives nothing".to_string());
                    }
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

struct BuyerTarget<'a>(&'a mut Buyer);

impl<'de> Fields<'de> for BuyerTarget<'_> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A, cx: &mut Cx) -> Result<bool, A::Error> {
        let at = At {
            parent: "buyer",
            index: None,
            field: key,
        };
        let b = &mut *self.0;
        match key {
            "id" => b.id = wanted!(cx, map, "buyer.id", Leaf::read(map)?.text(cx, at)).flatten(),
            "name" => b.name = wanted!(cx, map, "buyer.name", Leaf::read(map)?.text(cx, at)).flatten(),
            "kind" => {
                b.kind = wanted!(cx, map, "buyer.kind", Leaf::read(map)?.code(Domain::BuyerKind, cx, at)).flatten()
            }
            "unit" => b.unit = wanted!(cx, map, "buyer.unit", Leaf::read(map)?.text(cx, at)).flatten(),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

struct PartyTarget<'a>(&'a mut Party, &'static str);

impl<'de> Fields<'de> for PartyTarget<'_> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A, cx: &mut Cx) -> Result<bool, A::Error> {
        let at = At {
            parent: self.1,
            index: None,
            field: key,
        };
        let p = &mut *self.0;
        match key {
            "id" => p.id = wanted!(cx, map, "supplier.id", Leaf::read(map)?.text(cx, at)).flatten(),
            "name" => p.name = wanted!(cx, map, "supplier.name", Leaf::read(map)?.text(cx, at)).flatten(),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

struct EnvTarget<'a>(&'a mut Environment);

impl<'de> Fields<'de> for EnvTarget<'_> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A, cx: &mut Cx) -> Result<bool, A::Error> {
        let at = At {
            parent: "environment",
            index: None,
            field: key,
        };
        let e = &mut *self.0;
        match key {
            "spec_requirements" => {
                e.spec_requirements =
                    wanted!(cx, map, "environment.spec_requirements", Leaf::read(map)?.flag(cx, at)).flatten()
            }
            "justification" => {
                e.justification = wanted!(cx, map, "environment.justification", Leaf::read(map)?.text(cx, at)).flatten()
            }
            "exemption" => {
                e.exemption = wanted!(cx, map, "environment.exemption", Leaf::read(map)?.text(cx, at)).flatten()
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

struct LabourTarget<'a>(&'a mut Labour);

impl<'de> Fields<'de> for LabourTarget<'_> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A, cx: &mut Cx) -> Result<bool, A::Error> {
        let at = At {
            parent: "labour",
            index: None,
            field: key,
        };
        let l = &mut *self.0;
        match key {
            "max_subcontractor_levels" => {
                l.max_subcontractor_levels =
                    wanted!(cx, map, "labour.max_subcontractor_levels", read_decimal(map, cx, at)?).flatten()
            }
            "apprentices" => {
                l.apprentices = wanted!(cx, map, "labour.apprentices", Leaf::read(map)?.flag(cx, at)).flatten()
            }
            "wages_via_bank" => {
                l.wages_via_bank = wanted!(cx, map, "labour.wages_via_bank", Leaf::read(map)?.flag(cx, at)).flatten()
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// The one-flag objects `construction`, `ecommerce` and `lcc`.
struct FlagsTarget<'a> {
    record: &'a mut Record,
    object: &'static str,
}

impl<'de> Fields<'de> for FlagsTarget<'_> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A, cx: &mut Cx) -> Result<bool, A::Error> {
        let at = At {
            parent: self.object,
            index: None,
            field: key,
        };
        let (slot, field) = match (self.object, key) {
            ("construction", "fossil_free_site") => {
                (&mut self.record.fossil_free_site, idx("construction.fossil_free_site"))
            }
            ("ecommerce", "ordering") => (&mut self.record.ecommerce_ordering, idx("ecommerce.ordering")),
            ("ecommerce", "einvoice") => (&mut self.record.ecommerce_einvoice, idx("ecommerce.einvoice")),
            ("lcc", "assessed") => (&mut self.record.lcc_assessed, idx("lcc.assessed")),
            _ => return Ok(false),
        };
        if cx.wants(field) {
            *slot = Leaf::read(map)?.flag(cx, at);
        } else {
            skip(map)?;
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn rec(json: &str) -> Record {
        parse_record(json.as_bytes()).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    #[test]
    fn reads_every_canonical_field() {
        let r = rec(r#"{
            "id": "T-1", "stage": "planned", "title": "Vans",
            "buyer": {"id": "921693230", "name": "Viken", "kind": "county", "unit": "Fleet"},
            "date": "2022-05-01", "category": "goods", "cpv": ["34136000", 34110000],
            "procedure": "open",
            "estimated_value": {"amount": "2400000.50", "currency": "NOK"},
            "awarded_value": {"amount": 2300000, "currency": "nok"},
            "framework": false, "duration_months": 48,
            "supplier": {"id": "926 723 073", "name": "Bil AS"},
            "lots": [{"id": "1", "title": "Vans", "estimated_value": {"amount": "1", "currency": "NOK"}}],
            "lots_justification": "",
            "award_criteria": [{"name": "Pris", "type": "price", "weight": 70}, {"name": "Miljø", "type": "environment", "weight": "30"}],
            "environment": {"spec_requirements": true, "justification": "x", "exemption": null},
            "vehicles": [{"class": "N1", "count": 4, "fuel": "electric"}],
            "construction": {"fossil_free_site": true},
            "ecommerce": {"ordering": true, "einvoice": true},
            "lcc": {"assessed": false},
            "labour": {"max_subcontractor_levels": 2, "apprentices": true, "wages_via_bank": true},
            "rationale": "FOA § 13-3 e",
            "exemptions": [{"rule": "VIKEN-KLIMA-1", "reason": "none on market", "approved_by": "CFO", "expires": "2023-12-31"}]
        }"#);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_eq!(
            r.cpv.as_deref(),
            Some(&["34136000".to_string(), "34110000".to_string()][..])
        );
        assert_eq!(
            r.estimated_value.map(|m| m.amount.to_string()),
            Some("2400000.50".into())
        );
        assert_eq!(r.awarded_value.map(|m| m.currency), Currency::parse("NOK"));
        assert_eq!(
            r.award_criteria.as_ref().map(|c| c[1].weight),
            Some(Decimal::from_str("30").ok())
        );
        assert_eq!(
            r.vehicles.as_ref().and_then(|v| v[0].fuel),
            Domain::Fuel.code("electric")
        );
        assert_eq!(r.fossil_free_site, Some(true));
        assert_eq!(r.labour.max_subcontractor_levels, Some(Decimal::from(2)));
        assert_eq!(
            r.exemptions.as_ref().and_then(|e| e[0].expires),
            NaiveDate::from_ymd_opt(2023, 12, 31)
        );
        assert_eq!(r.environment.exemption, None);
    }

    #[test]
    fn wrong_types_become_warnings_and_missing_fields() {
        let r = rec(r#"{"id": "x", "framework": "yes", "procedure": "dirct",
            "estimated_value": {"amount": "1,3 MNOK", "currency": "NOK"},
            "date": "17.03.2021", "lots": 3, "buyer": "Viken", "estimated_valu": 1}"#);
        assert_eq!(r.framework, None);
        assert_eq!(r.procedure, None);
        assert_eq!(r.estimated_value, None);
        assert_eq!(r.date, None);
        assert_eq!(r.lots, None);
        let fields: Vec<_> = r.warnings.iter().map(|w| w.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "framework",
                "procedure",
                "estimated_value",
                "date",
                "lots",
                "buyer",
                "estimated_valu"
            ]
        );
        assert!(
            r.warnings[1].message.contains("did you mean `direct`"),
            "{:?}",
            r.warnings[1]
        );
        assert!(r.warnings[6].message.contains("did you mean `estimated_value`"));
    }

    #[test]
    fn explicit_empty_values_are_kept() {
        let r = rec(r#"{"id": "x", "rationale": "", "lots": [], "framework": false}"#);
        assert_eq!(r.rationale.as_deref(), Some(""));
        assert_eq!(r.lots.as_deref().map(<[Lot]>::len), Some(0));
        assert_eq!(r.framework, Some(false));
    }

    #[test]
    fn dates_are_checked() {
        assert_eq!(parse_date("2024-02-29"), NaiveDate::from_ymd_opt(2024, 2, 29));
        assert_eq!(parse_date("2024-03-01T10:00:00Z"), NaiveDate::from_ymd_opt(2024, 3, 1));
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024/01/01",
            "17.03.2021",
            "2024-1-01",
            "",
            "２０２４-01-01",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn nulls_are_missing() {
        let r = rec(r#"{"id": "x", "rationale": null, "lots": null, "buyer": null, "estimated_value": null}"#);
        assert_eq!(
            r,
            Record {
                id: Some("x".into()),
                ..Record::default()
            }
        );
    }

    #[test]
    fn amounts_are_exact() {
        let r = rec(r#"{"id": "x", "estimated_value": {"amount": 0.1, "currency": "NOK"},
                        "awarded_value": {"amount": 1e400, "currency": "NOK"}}"#);
        assert_eq!(r.estimated_value.map(|m| m.amount.to_string()), Some("0.1".into()));
        assert_eq!(r.awarded_value, None);
        assert_eq!(r.warnings.len(), 1);
    }

    #[test]
    fn negative_amounts_and_counts_are_warnings_and_missing() {
        let r = rec(
            r#"{"id": "x", "estimated_value": {"amount": "-90000000", "currency": "NOK"},
                        "awarded_value": {"amount": -0, "currency": "NOK"},
                        "lots": [{"id": "1", "estimated_value": {"amount": -5, "currency": "NOK"}}],
                        "vehicles": [{"class": "N1", "count": -3}, {"class": "M1", "count": 2}]}"#,
        );
        assert_eq!(r.estimated_value, None);
        assert!(r.awarded_value.is_some(), "-0 is zero");
        assert_eq!(r.lots.as_ref().and_then(|l| l[0].estimated_value), None);
        let vehicles = r.vehicles.as_ref().expect("vehicles");
        assert_eq!(vehicles[0].count, None);
        assert_eq!(vehicles[0].class.as_deref(), Some("N1"));
        assert_eq!(vehicles[1].count, Some(Decimal::from(2)));
        let warnings: Vec<String> = r
            .warnings
            .iter()
            .map(|w| format!("{}: {}", w.field, w.message))
            .collect();
        assert_eq!(
            warnings,
            [
                "estimated_value: amount: a negative amount (-90000000) is not a value; the field is read as missing",
                "lots[0].estimated_value: amount: a negative amount (-5) is not a value; the field is read as missing",
                "vehicles[0].count: a negative number of vehicles (-3) is not a value; the field is read as missing",
            ]
        );
    }

    #[test]
    fn unwanted_fields_are_skipped_but_exemptions_and_id_are_kept() {
        let mut fields = crate::schema::FieldSet::default();
        fields.insert(idx("estimated_value"));
        let want = Want {
            fields,
            extras: Default::default(),
        };
        let r = parse_record_with(
            br#"{"id": "x", "title": "t", "buyer": {"id": "1"}, "estimated_value": {"amount": "5", "currency": "NOK"},
                 "framework": "not even checked", "exemptions": [{"rule": "R"}]}"#,
            &want,
        )
        .unwrap();
        assert_eq!(r.id.as_deref(), Some("x"));
        assert_eq!(r.title, None);
        assert_eq!(r.buyer.id, None);
        assert!(r.estimated_value.is_some());
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_eq!(r.exemptions.map(|e| e.len()), Some(1));
    }

    #[test]
    fn escaped_texts_and_keys_are_read() {
        let r = rec(r#"{"i\u0064": "a\"b", "title": "line\nbreak"}"#);
        assert_eq!(r.id.as_deref(), Some("a\"b"));
        assert_eq!(r.title.as_deref(), Some("line\nbreak"));
    }

    #[test]
    fn broken_json_and_non_objects_are_errors() {
        assert!(parse_record(b"{\"id\": ").is_err());
        assert!(parse_record(b"[1, 2]").is_err());
        assert!(parse_record(b"{\"id\": \"a\"} x").is_err());
    }
}
