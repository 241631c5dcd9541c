//! The canonical record format in JSON (`docs/records.md`), read leniently:
//! a field of the wrong type becomes a data-quality warning and is left
//! missing, so one bad field never costs the whole record. Only broken JSON,
//! or a record that is not an object, is an input error.

use crate::record::*;
use crate::schema::Domain;
use crate::value::{Currency, Money};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// Parse one record from JSON text.
pub fn parse_record(json: &[u8]) -> Result<Record, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(json);
    let record = RecordSeed.deserialize(&mut de)?;
    de.end()?;
    Ok(record)
}

/// Parse one record from a JSON value already split out of a document.
pub fn parse_raw(raw: &RawValue) -> Result<Record, serde_json::Error> {
    parse_record(raw.get().as_bytes())
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
        match (self.parent.is_empty(), self.index) {
            (true, _) => self.field.to_string(),
            (false, None) => format!("{}.{}", self.parent, self.field),
            (false, Some(i)) => format!("{}[{}].{}", self.parent, i, self.field),
        }
    }
}

type Warnings = Vec<DataWarning>;

fn warn(w: &mut Warnings, at: At<'_>, message: String) {
    w.push(DataWarning {
        field: at.render(),
        message,
    });
}

/// A JSON value that should be a scalar, classified by its first byte.
enum Leaf<'de> {
    Null,
    Bool(bool),
    Str(Cow<'de, str>),
    Number(&'de str),
    Object,
    Array,
}

impl<'de> Leaf<'de> {
    fn read<A: MapAccess<'de>>(map: &mut A) -> Result<Leaf<'de>, A::Error> {
        let raw: &'de RawValue = map.next_value()?;
        Leaf::classify(raw).map_err(de::Error::custom)
    }

    fn read_seq<A: SeqAccess<'de>>(seq: &mut A) -> Result<Option<Leaf<'de>>, A::Error> {
        match seq.next_element::<&'de RawValue>()? {
            Some(raw) => Leaf::classify(raw).map(Some).map_err(de::Error::custom),
            None => Ok(None),
        }
    }

    fn classify(raw: &'de RawValue) -> Result<Leaf<'de>, serde_json::Error> {
        let text = raw.get();
        Ok(match text.as_bytes().first() {
            Some(b'n') => Leaf::Null,
            Some(b't') => Leaf::Bool(true),
            Some(b'f') => Leaf::Bool(false),
            Some(b'{') => Leaf::Object,
            Some(b'[') => Leaf::Array,
            Some(b'"') => {
                let body = &text[1..text.len() - 1];
                if body.contains('\\') {
                    Leaf::Str(Cow::Owned(serde_json::from_str::<String>(text)?))
                } else {
                    Leaf::Str(Cow::Borrowed(body))
                }
            }
            _ => Leaf::Number(text),
        })
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

    fn text(self, w: &mut Warnings, at: At<'_>) -> Option<String> {
        match self {
            Leaf::Null => None,
            Leaf::Str(s) => Some(s.into_owned()),
            // Organisation numbers and CPV codes are often written as numbers.
            Leaf::Number(n) => Some(n.to_string()),
            other => {
                warn(w, at, format!("expected a text, found {}", other.describe()));
                None
            }
        }
    }

    fn flag(self, w: &mut Warnings, at: At<'_>) -> Option<bool> {
        match self {
            Leaf::Null => None,
            Leaf::Bool(b) => Some(b),
            other => {
                warn(w, at, format!("expected `true` or `false`, found {}", other.describe()));
                None
            }
        }
    }

    fn decimal(self, w: &mut Warnings, at: At<'_>) -> Option<Decimal> {
        let text = match &self {
            Leaf::Null => return None,
            Leaf::Number(n) => *n,
            Leaf::Str(s) => s.trim(),
            other => {
                warn(w, at, format!("expected a number, found {}", other.describe()));
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
                warn(
                    w,
                    at,
                    format!("{} is not a number anskaff can hold exactly{why}", self.describe()),
                );
                None
            }
        }
    }

    fn date(self, w: &mut Warnings, at: At<'_>) -> Option<NaiveDate> {
        match self {
            Leaf::Null => None,
            Leaf::Str(s) => match parse_date(&s) {
                Some(d) => Some(d),
                None => {
                    warn(w, at, format!("expected a date YYYY-MM-DD, found {}", quote(&s)));
                    None
                }
            },
            other => {
                warn(w, at, format!("expected a date YYYY-MM-DD, found {}", other.describe()));
                None
            }
        }
    }

    fn code(self, domain: Domain, w: &mut Warnings, at: At<'_>) -> Option<u8> {
        match self {
            Leaf::Null => None,
            Leaf::Str(s) => match domain.code(&s) {
                Some(c) => Some(c),
                None => {
                    let hint = crate::diag::did_you_mean(&s, domain.values().iter().copied())
                        .map(|h| format!("; {h}"))
                        .unwrap_or_else(|| format!("; known values: {}", domain.values().join(", ")));
                    warn(w, at, format!("unknown {} {}{hint}", domain.name(), quote(&s)));
                    None
                }
            },
            other => {
                warn(
                    w,
                    at,
                    format!("expected a {} text, found {}", domain.name(), other.describe()),
                );
                None
            }
        }
    }
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
        Some(d) if t.len() == 10 || t[10..].starts_with(['T', ' ']) => d,
        _ => return None,
    };
    NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()
}

/// Reads the fields of one kind of JSON object.
trait Fields<'de> {
    /// `false` if `key` is not a field of this object.
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A, w: &mut Warnings) -> Result<bool, A::Error>;
}

/// Drive `target` over a JSON object; `null` leaves it as it is.
struct ObjectSeed<'t, 'w, T> {
    target: &'t mut T,
    warnings: &'w mut Warnings,
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
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if !self.target.field(&key, &mut map, self.warnings)? {
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
        let at = self.at;
        let field = if at.index.is_some() {
            format!("{}[{}]", at.parent, at.index.unwrap_or(0))
        } else {
            at.field.to_string()
        };
        self.warnings.push(DataWarning {
            field,
            message: format!("expected an object, found {found}"),
        });
        Ok(())
    }
}

fn read_text_list<'de, A: MapAccess<'de>>(
    map: &mut A,
    w: &mut Warnings,
    name: &'static str,
) -> Result<Option<Vec<String>>, A::Error> {
    map.next_value_seed(TextListSeed { warnings: w, name })
}

struct TextListSeed<'w> {
    warnings: &'w mut Warnings,
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
        while let Some(leaf) = Leaf::read_seq(&mut seq)? {
            let at = At {
                parent: self.name,
                index: Some(i),
                field: "",
            };
            match leaf {
                Leaf::Str(s) => out.push(s.into_owned()),
                Leaf::Number(n) => out.push(n.to_string()),
                other => self.warnings.push(DataWarning {
                    field: format!("{}[{}]", at.parent, i),
                    message: format!("expected a text, found {}", other.describe()),
                }),
            }
            i += 1;
        }
        Ok(Some(out))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        // A single code where a list belongs: take it, as the list of one.
        Ok(Some(vec![v.to_string()]))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        self.warnings.push(DataWarning {
            field: self.name.to_string(),
            message: "expected a list, found an object".to_string(),
        });
        Ok(None)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        self.not_a_list()
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(vec![v.to_string()]))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(vec![v.to_string()]))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        self.not_a_list()
    }
}

impl TextListSeed<'_> {
    fn not_a_list<E>(self) -> Result<Option<Vec<String>>, E> {
        self.warnings.push(DataWarning {
            field: self.name.to_string(),
            message: "expected a list of texts".to_string(),
        });
        Ok(None)
    }
}

/// A list of objects, each read into a `T` through [`Fields`].
struct ItemListSeed<'w, T> {
    warnings: &'w mut Warnings,
    name: &'static str,
    _item: std::marker::PhantomData<T>,
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
                warnings: &mut *self.warnings,
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

impl<T> ItemListSeed<'_, T> {
    fn not_a_list<E>(self, found: &str) -> Result<Option<Vec<T>>, E> {
        self.warnings.push(DataWarning {
            field: self.name.to_string(),
            message: format!("expected a list, found {found}"),
        });
        Ok(None)
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

impl<'de> Fields<'de> for ItemTarget<'_, Lot> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A, w: &mut Warnings) -> Result<bool, A::Error> {
        let at = self.at(key);
        match key {
            "id" => self.item.id = Leaf::read(map)?.text(w, at),
            "title" => self.item.title = Leaf::read(map)?.text(w, at),
            "estimated_value" => self.item.estimated_value = read_money(map, w, at)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl<'de> Fields<'de> for ItemTarget<'_, Criterion> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A, w: &mut Warnings) -> Result<bool, A::Error> {
        let at = self.at(key);
        match key {
            "name" => self.item.name = Leaf::read(map)?.text(w, at),
            "type" => self.item.kind = Leaf::read(map)?.code(Domain::CriterionType, w, at),
            "weight" => self.item.weight = Leaf::read(map)?.decimal(w, at),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl<'de> Fields<'de> for ItemTarget<'_, Vehicle> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A, w: &mut Warnings) -> Result<bool, A::Error> {
        let at = self.at(key);
        match key {
            "class" => self.item.class = Leaf::read(map)?.text(w, at),
            "count" => self.item.count = Leaf::read(map)?.decimal(w, at),
            "fuel" => self.item.fuel = Leaf::read(map)?.code(Domain::Fuel, w, at),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl<'de> Fields<'de> for ItemTarget<'_, Exemption> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A, w: &mut Warnings) -> Result<bool, A::Error> {
        let at = self.at(key);
        match key {
            "rule" => self.item.rule = Leaf::read(map)?.text(w, at),
            "reason" => self.item.reason = Leaf::read(map)?.text(w, at),
            "approved_by" => self.item.approved_by = Leaf::read(map)?.text(w, at),
            "expires" => self.item.expires = Leaf::read(map)?.date(w, at),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// Money: `{"amount": "2400000", "currency": "NOK"}`.
fn read_money<'de, A: MapAccess<'de>>(map: &mut A, w: &mut Warnings, at: At<'_>) -> Result<Option<Money>, A::Error> {
    let mut parts = MoneyParts::default();
    map.next_value_seed(ObjectSeed {
        target: &mut parts,
        warnings: &mut *w,
        at,
    })?;
    Ok(parts.finish(w, at))
}

#[derive(Default)]
struct MoneyParts {
    seen: bool,
    amount: Option<Decimal>,
    currency: Option<String>,
    amount_seen: bool,
    problems: Vec<DataWarning>,
}

impl<'de> Fields<'de> for MoneyParts {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A, _w: &mut Warnings) -> Result<bool, A::Error> {
        self.seen = true;
        let at = At::top(key);
        match key {
            "amount" => {
                self.amount_seen = true;
                self.amount = Leaf::read(map)?.decimal(&mut self.problems, at);
            }
            "currency" => self.currency = Leaf::read(map)?.text(&mut self.problems, at),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl MoneyParts {
    fn finish(self, w: &mut Warnings, at: At<'_>) -> Option<Money> {
        if !self.seen {
            return None;
        }
        for p in self.problems {
            warn(w, at, format!("{}: {}", p.field, p.message));
        }
        let amount = self.amount?;
        match self.currency.as_deref().map(str::trim) {
            None | Some("") => {
                warn(
                    w,
                    at,
                    "amount without a currency; write {\"amount\": \"…\", \"currency\": \"NOK\"}".to_string(),
                );
                None
            }
            Some(code) => match Currency::parse(code) {
                Some(c) => Some(Money::new(amount, c)),
                None => {
                    warn(w, at, format!("`{code}` is not a three-letter currency code"));
                    None
                }
            },
        }
    }
}

struct RecordSeed;

impl<'de> DeserializeSeed<'de> for RecordSeed {
    type Value = Record;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Record, D::Error> {
        let mut record = Record::default();
        let mut warnings = Vec::new();
        d.deserialize_any(RecordVisitor {
            record: &mut record,
            warnings: &mut warnings,
        })?;
        record.warnings = warnings;
        Ok(record)
    }
}

struct RecordVisitor<'r> {
    record: &'r mut Record,
    warnings: &'r mut Warnings,
}

impl<'de> Visitor<'de> for RecordVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a record: a JSON object with an `id`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut target = RecordTarget { record: self.record };
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if !target.field(&key, &mut map, self.warnings)? {
                map.next_value::<IgnoredAny>()?;
                let known = crate::schema::FIELDS
                    .iter()
                    .map(|f| f.path)
                    .filter(|p| !p.contains(['.', '[']));
                if let Some(name) = crate::diag::closest(&key, known).filter(|n| *n != &*key) {
                    self.warnings.push(DataWarning {
                        field: key.to_string(),
                        message: format!("unknown field `{key}`; did you mean `{name}`?"),
                    });
                }
            }
        }
        Ok(())
    }
}

struct RecordTarget<'r> {
    record: &'r mut Record,
}

impl<'de> Fields<'de> for RecordTarget<'_> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A, w: &mut Warnings) -> Result<bool, A::Error> {
        let r = &mut *self.record;
        let at = At::top(key);
        match key {
            "id" => r.id = Leaf::read(map)?.text(w, at),
            "stage" => r.stage = Leaf::read(map)?.code(Domain::Stage, w, at),
            "title" => r.title = Leaf::read(map)?.text(w, at),
            "buyer" => map.next_value_seed(ObjectSeed {
                target: &mut BuyerTarget(&mut r.buyer),
                warnings: w,
                at,
            })?,
            "date" => r.date = Leaf::read(map)?.date(w, at),
            "category" => r.category = Leaf::read(map)?.code(Domain::Category, w, at),
            "cpv" => r.cpv = read_text_list(map, w, "cpv")?,
            "procedure" => r.procedure = Leaf::read(map)?.code(Domain::Procedure, w, at),
            "estimated_value" => r.estimated_value = read_money(map, w, at)?,
            "awarded_value" => r.awarded_value = read_money(map, w, at)?,
            "framework" => r.framework = Leaf::read(map)?.flag(w, at),
            "duration_months" => r.duration_months = Leaf::read(map)?.decimal(w, at),
            "supplier" => map.next_value_seed(ObjectSeed {
                target: &mut PartyTarget(&mut r.supplier, "supplier"),
                warnings: w,
                at,
            })?,
            "lots" => {
                r.lots = map.next_value_seed(ItemListSeed {
                    warnings: w,
                    name: "lots",
                    _item: Default::default(),
                })?
            }
            "lots_justification" => r.lots_justification = Leaf::read(map)?.text(w, at),
            "award_criteria" => {
                r.award_criteria = map.next_value_seed(ItemListSeed {
                    warnings: w,
                    name: "award_criteria",
                    _item: Default::default(),
                })?
            }
            "environment" => map.next_value_seed(ObjectSeed {
                target: &mut EnvTarget(&mut r.environment),
                warnings: w,
                at,
            })?,
            "vehicles" => {
                r.vehicles = map.next_value_seed(ItemListSeed {
                    warnings: w,
                    name: "vehicles",
                    _item: Default::default(),
                })?
            }
            "construction" => map.next_value_seed(ObjectSeed {
                target: &mut FlagsTarget {
                    record: r,
                    object: "construction",
                },
                warnings: w,
                at,
            })?,
            "ecommerce" => map.next_value_seed(ObjectSeed {
                target: &mut FlagsTarget {
                    record: r,
                    object: "ecommerce",
                },
                warnings: w,
                at,
            })?,
            "lcc" => map.next_value_seed(ObjectSeed {
                target: &mut FlagsTarget {
                    record: r,
                    object: "lcc",
                },
                warnings: w,
                at,
            })?,
            "labour" => map.next_value_seed(ObjectSeed {
                target: &mut LabourTarget(&mut r.labour),
                warnings: w,
                at,
            })?,
            "rationale" => r.rationale = Leaf::read(map)?.text(w, at),
            "notice_id" => r.notice_id = Leaf::read(map)?.text(w, at),
            "exemptions" => {
                r.exemptions = map.next_value_seed(ItemListSeed {
                    warnings: w,
                    name: "exemptions",
                    _item: Default::default(),
                })?
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

struct BuyerTarget<'a>(&'a mut Buyer);

impl<'de> Fields<'de> for BuyerTarget<'_> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A, w: &mut Warnings) -> Result<bool, A::Error> {
        let at = At {
            parent: "buyer",
            index: None,
            field: key,
        };
        match key {
            "id" => self.0.id = Leaf::read(map)?.text(w, at),
            "name" => self.0.name = Leaf::read(map)?.text(w, at),
            "kind" => self.0.kind = Leaf::read(map)?.code(Domain::BuyerKind, w, at),
            "unit" => self.0.unit = Leaf::read(map)?.text(w, at),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

struct PartyTarget<'a>(&'a mut Party, &'static str);

impl<'de> Fields<'de> for PartyTarget<'_> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A, w: &mut Warnings) -> Result<bool, A::Error> {
        let at = At {
            parent: self.1,
            index: None,
            field: key,
        };
        match key {
            "id" => self.0.id = Leaf::read(map)?.text(w, at),
            "name" => self.0.name = Leaf::read(map)?.text(w, at),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

struct EnvTarget<'a>(&'a mut Environment);

impl<'de> Fields<'de> for EnvTarget<'_> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A, w: &mut Warnings) -> Result<bool, A::Error> {
        let at = At {
            parent: "environment",
            index: None,
            field: key,
        };
        match key {
            "spec_requirements" => self.0.spec_requirements = Leaf::read(map)?.flag(w, at),
            "justification" => self.0.justification = Leaf::read(map)?.text(w, at),
            "exemption" => self.0.exemption = Leaf::read(map)?.text(w, at),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

struct LabourTarget<'a>(&'a mut Labour);

impl<'de> Fields<'de> for LabourTarget<'_> {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A, w: &mut Warnings) -> Result<bool, A::Error> {
        let at = At {
            parent: "labour",
            index: None,
            field: key,
        };
        match key {
            "max_subcontractor_levels" => self.0.max_subcontractor_levels = Leaf::read(map)?.decimal(w, at),
            "apprentices" => self.0.apprentices = Leaf::read(map)?.flag(w, at),
            "wages_via_bank" => self.0.wages_via_bank = Leaf::read(map)?.flag(w, at),
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
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A, w: &mut Warnings) -> Result<bool, A::Error> {
        let at = At {
            parent: self.object,
            index: None,
            field: key,
        };
        let slot = match (self.object, key) {
            ("construction", "fossil_free_site") => &mut self.record.fossil_free_site,
            ("ecommerce", "ordering") => &mut self.record.ecommerce_ordering,
            ("ecommerce", "einvoice") => &mut self.record.ecommerce_einvoice,
            ("lcc", "assessed") => &mut self.record.lcc_assessed,
            _ => return Ok(false),
        };
        *slot = Leaf::read(map)?.flag(w, at);
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
    fn broken_json_and_non_objects_are_errors() {
        assert!(parse_record(b"{\"id\": ").is_err());
        assert!(parse_record(b"[1, 2]").is_err());
        assert!(parse_record(b"{\"id\": \"a\"} x").is_err());
    }
}
