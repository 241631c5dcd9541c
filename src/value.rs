//! Values: exact money with its currency, durations, compile-time constants
//! ([`Const`]) and the runtime values rules compute with ([`Val`]).
//!
//! Money is a `Decimal` amount and a three-letter currency; it never passes
//! through floating point, and amounts in different currencies are never
//! added or compared.

use crate::schema::Domain;
use crate::syntax::ast::Lang;
use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::fmt;

/// An ISO 4217 currency code (three ASCII capitals).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    pub const NOK: Currency = Currency(*b"NOK");

    /// Accepts exactly three ASCII letters; lower case is upper-cased.
    pub fn parse(code: &str) -> Option<Currency> {
        let b = code.trim().as_bytes();
        if b.len() == 3 && b.iter().all(u8::is_ascii_alphabetic) {
            Some(Currency([
                b[0].to_ascii_uppercase(),
                b[1].to_ascii_uppercase(),
                b[2].to_ascii_uppercase(),
            ]))
        } else {
            None
        }
    }

    /// Whether this is an ISO 4217 currency code (current, or withdrawn but
    /// still found in older data).
    pub fn is_iso(&self) -> bool {
        ISO_4217.binary_search(&self.as_str()).is_ok()
    }

    /// The known code closest to this one (`MNX` → `MXN`), for hints.
    pub fn closest_iso(&self) -> Option<&'static str> {
        // Swapped letters are the likeliest slip (`MNX` for `MXN`).
        let mut letters = self.0;
        letters.sort_unstable();
        let anagram = ISO_4217.iter().copied().find(|code| {
            let mut other = [0u8; 3];
            other.copy_from_slice(code.as_bytes());
            other.sort_unstable();
            other == letters
        });
        anagram.or_else(|| crate::diag::closest(self.as_str(), ISO_4217.iter().copied()))
    }

    pub fn as_str(&self) -> &str {
        // INVARIANT: built only from ASCII letters.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// ISO 4217 alphabetic codes, sorted: the current list, and codes withdrawn
/// since 2000 that older procurement data still uses.
const ISO_4217: &[&str] = &[
    "ADP", "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "ATS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BEF",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BYR", "BZD", "CAD", "CDF",
    "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP", "CVE", "CYP", "CZK", "DEM", "DJF",
    "DKK", "DOP", "DZD", "EEK", "EGP", "ERN", "ESP", "ETB", "EUR", "FIM", "FJD", "FKP", "FRF", "GBP", "GEL", "GHS",
    "GIP", "GMD", "GNF", "GRD", "GTQ", "GYD", "HKD", "HNL", "HRK", "HTG", "HUF", "IDR", "IEP", "ILS", "INR", "IQD",
    "IRR", "ISK", "ITL", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK",
    "LBP", "LKR", "LRD", "LSL", "LTL", "LUF", "LVL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRO",
    "MRU", "MTL", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NLG", "NOK", "NPR", "NZD",
    "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PTE", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD",
    "SCR", "SDG", "SEK", "SGD", "SHP", "SIT", "SKK", "SLE", "SLL", "SOS", "SRD", "SSP", "STD", "STN", "SVC", "SYP",
    "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU",
    "UYW", "UZS", "VED", "VEF", "VES", "VND", "VUV", "WST", "XAF", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD",
    "XDR", "XOF", "XPD", "XPF", "XPT", "XSU", "XTS", "XUA", "XXX", "YER", "ZAR", "ZMK", "ZMW", "ZWG", "ZWL",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    pub amount: Decimal,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Money { amount, currency }
    }

    pub fn display(&self, lang: Lang) -> String {
        format!("{} {}", format_amount(self.amount, lang), self.currency)
    }
}

/// A length of time. Calendar months (and quarters and years) are kept apart
/// from days so that "12 months" from 31 January is the end of January next
/// year, not 360 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Duration {
    Days(u32),
    Months(u32),
}

impl Duration {
    /// The date `self` after `date`; `None` past the calendar's end.
    pub fn after(self, date: NaiveDate) -> Option<NaiveDate> {
        match self {
            Duration::Days(n) => date.checked_add_days(chrono::Days::new(u64::from(n))),
            Duration::Months(n) => date.checked_add_months(Months::new(n)),
        }
    }

    pub fn before(self, date: NaiveDate) -> Option<NaiveDate> {
        match self {
            Duration::Days(n) => date.checked_sub_days(chrono::Days::new(u64::from(n))),
            Duration::Months(n) => date.checked_sub_months(Months::new(n)),
        }
    }

    /// A rough length in days, only for ordering durations of different kinds.
    fn approx_days(self) -> u64 {
        match self {
            Duration::Days(n) => u64::from(n),
            Duration::Months(n) => u64::from(n) * 30,
        }
    }

    pub fn display(&self, lang: Lang) -> String {
        let unit = match (*self, lang, self.count() == 1) {
            (Duration::Days(_), Lang::Nb, true) => "dag",
            (Duration::Days(_), Lang::Nb, false) => "dager",
            (Duration::Days(_), Lang::En, true) => "day",
            (Duration::Days(_), Lang::En, false) => "days",
            (Duration::Months(_), Lang::Nb, true) => "måned",
            (Duration::Months(_), Lang::Nb, false) => "måneder",
            (Duration::Months(_), Lang::En, true) => "month",
            (Duration::Months(_), Lang::En, false) => "months",
        };
        format!("{} {unit}", self.count())
    }

    fn count(&self) -> u32 {
        match *self {
            Duration::Days(n) | Duration::Months(n) => n,
        }
    }
}

impl PartialOrd for Duration {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        match (self, other) {
            (Duration::Days(a), Duration::Days(b)) => a.partial_cmp(b),
            (Duration::Months(a), Duration::Months(b)) => a.partial_cmp(b),
            _ => self.approx_days().partial_cmp(&other.approx_days()),
        }
    }
}

/// A value known when a policy is compiled: a literal or a parameter value.
#[derive(Debug, Clone, PartialEq)]
pub enum Const {
    Bool(bool),
    Num(Decimal),
    Pct(Decimal),
    Money(Money),
    Date(NaiveDate),
    Dur(Duration),
    Text(String),
    Code(Domain, u8),
    List(Vec<Const>),
}

impl Const {
    pub fn as_val(&self) -> Val<'_> {
        match self {
            Const::Bool(b) => Val::Bool(*b),
            Const::Num(n) => Val::Num(*n),
            Const::Pct(n) => Val::Pct(*n),
            Const::Money(m) => Val::Money(*m),
            Const::Date(d) => Val::Date(*d),
            Const::Dur(d) => Val::Dur(*d),
            Const::Text(s) => Val::Text(Cow::Borrowed(s)),
            Const::Code(d, c) => Val::Code(*d, *c),
            Const::List(items) => Val::List(ListVal::Consts(items)),
        }
    }

    pub fn display(&self, lang: Lang) -> String {
        self.as_val().display(lang)
    }
}

/// A list a rule looks at, borrowed from the record or the policy.
#[derive(Debug, Clone)]
pub enum ListVal<'a> {
    Consts(&'a [Const]),
    Texts(&'a [String]),
    Items(crate::record::Items<'a>),
    /// One field of every element: `vehicles[].fuel`.
    Project(crate::record::Items<'a>, crate::schema::ItemField),
    Owned(Vec<Val<'a>>),
}

impl<'a> ListVal<'a> {
    pub fn len(&self) -> usize {
        match self {
            ListVal::Consts(c) => c.len(),
            ListVal::Texts(t) => t.len(),
            ListVal::Items(i) | ListVal::Project(i, _) => i.len(),
            ListVal::Owned(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element at `i`; `Unknown` for a missing field of an element.
    pub fn get(&self, i: usize) -> Val<'a> {
        match self {
            ListVal::Consts(c) => c.get(i).map(Const::as_val).unwrap_or(Val::Unknown),
            ListVal::Texts(t) => t
                .get(i)
                .map(|s| Val::Text(Cow::Borrowed(s.as_str())))
                .unwrap_or(Val::Unknown),
            ListVal::Items(items) => items.item(i).map(Val::Item).unwrap_or(Val::Unknown),
            ListVal::Project(items, field) => items.item(i).map(|it| it.field(*field)).unwrap_or(Val::Unknown),
            ListVal::Owned(v) => v.get(i).cloned().unwrap_or(Val::Unknown),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = Val<'a>> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

/// A value while a rule is evaluated. `Unknown` is missing data: it is neither
/// true nor false, and operators propagate it by Kleene's three-valued logic.
#[derive(Debug, Clone)]
pub enum Val<'a> {
    Unknown,
    Bool(bool),
    Num(Decimal),
    Pct(Decimal),
    Money(Money),
    Date(NaiveDate),
    Dur(Duration),
    Text(Cow<'a, str>),
    Code(Domain, u8),
    List(ListVal<'a>),
    Item(crate::record::ItemRef<'a>),
}

impl<'a> Val<'a> {
    /// A scalar value that borrows nothing; lists and items become unknown.
    pub fn into_static(self) -> Val<'static> {
        match self {
            Val::Unknown => Val::Unknown,
            Val::Bool(b) => Val::Bool(b),
            Val::Num(n) => Val::Num(n),
            Val::Pct(n) => Val::Pct(n),
            Val::Money(m) => Val::Money(m),
            Val::Date(d) => Val::Date(d),
            Val::Dur(d) => Val::Dur(d),
            Val::Text(s) => Val::Text(Cow::Owned(s.into_owned())),
            Val::Code(d, c) => Val::Code(d, c),
            Val::List(_) | Val::Item(_) => Val::Unknown,
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Val::Unknown)
    }

    /// Text of a text or code value.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Val::Text(s) => Some(s),
            Val::Code(d, c) => Some(d.value(*c)),
            _ => None,
        }
    }

    pub fn display(&self, lang: Lang) -> String {
        match self {
            Val::Unknown => (if lang == Lang::Nb { "(mangler)" } else { "(missing)" }).to_string(),
            Val::Bool(true) => (if lang == Lang::Nb { "ja" } else { "yes" }).to_string(),
            Val::Bool(false) => (if lang == Lang::Nb { "nei" } else { "no" }).to_string(),
            Val::Num(n) => format_number(*n, lang),
            Val::Pct(n) => format!("{} %", format_decimal(*n, lang)),
            Val::Money(m) => m.display(lang),
            Val::Date(d) => d.format("%Y-%m-%d").to_string(),
            Val::Dur(d) => d.display(lang),
            Val::Text(s) => s.to_string(),
            Val::Code(d, c) => d.value(*c).to_string(),
            Val::List(l) => l.iter().map(|v| v.display(lang)).collect::<Vec<_>>().join(", "),
            Val::Item(item) => item.label(),
        }
    }
}

/// `1300000.50` → `1 300 000.50` (en) or `1 300 000,50` (nb). Whole amounts
/// drop their decimals; thousands are grouped with spaces in both languages.
pub fn format_decimal(value: Decimal, lang: Lang) -> String {
    let normalized = value.normalize();
    let text = normalized.abs().to_string();
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text.as_str(), None),
    };
    let mut grouped = String::with_capacity(int.len() + int.len() / 3 + 4);
    if normalized.is_sign_negative() && !normalized.is_zero() {
        grouped.push('-');
    }
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(' ');
        }
        grouped.push(ch);
    }
    if let Some(f) = frac {
        grouped.push(if lang == Lang::Nb { ',' } else { '.' });
        grouped.push_str(f);
    }
    grouped
}

/// An amount of money: like [`format_decimal`], with two decimals when it
/// has any (`1 300 000,50`).
pub fn format_amount(value: Decimal, lang: Lang) -> String {
    let text = format_decimal(value, lang);
    let sep = if lang == Lang::Nb { ',' } else { '.' };
    match text.rsplit_once(sep) {
        Some((_, frac)) if frac.len() == 1 => format!("{text}0"),
        _ => text,
    }
}

/// A plain number: grouped in thousands only from 10 000, so that years
/// and small counts read naturally (`2024`, `3`, `12 500`).
pub fn format_number(value: Decimal, lang: Lang) -> String {
    let text = format_decimal(value, lang);
    if value.abs() < Decimal::from(10_000) {
        text.replace(' ', "")
    } else {
        text
    }
}

/// `2024-Q1`
pub fn quarter_label(date: NaiveDate) -> String {
    format!("{}-Q{}", date.year(), date.month0() / 3 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn formats_amounts_for_people() {
        let d = |s| Decimal::from_str(s).unwrap();
        assert_eq!(format_decimal(d("1300000"), Lang::En), "1 300 000");
        assert_eq!(format_decimal(d("1300000.0"), Lang::En), "1 300 000");
        assert_eq!(format_decimal(d("1300000.5"), Lang::Nb), "1 300 000,5");
        assert_eq!(format_decimal(d("-400000"), Lang::En), "-400 000");
        assert_eq!(format_decimal(d("999"), Lang::En), "999");
        assert_eq!(format_decimal(d("0.125"), Lang::En), "0.125");
    }

    #[test]
    fn month_arithmetic_clamps_to_month_end() {
        let d = NaiveDate::from_ymd_opt(2024, 1, 31).unwrap();
        assert_eq!(Duration::Months(1).after(d), NaiveDate::from_ymd_opt(2024, 2, 29));
        assert_eq!(Duration::Months(12).after(d), NaiveDate::from_ymd_opt(2025, 1, 31));
    }

    #[test]
    fn iso_codes_are_sorted_and_checked() {
        assert!(ISO_4217.windows(2).all(|w| w[0] < w[1]));
        assert!(Currency::NOK.is_iso());
        let mnx = Currency::parse("MNX").unwrap();
        assert!(!mnx.is_iso());
        assert_eq!(mnx.closest_iso(), Some("MXN"));
    }

    #[test]
    fn currency_codes() {
        assert_eq!(Currency::parse("nok"), Some(Currency::NOK));
        assert_eq!(Currency::parse("NOKK"), None);
        assert_eq!(Currency::parse(""), None);
    }
}
