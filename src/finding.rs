//! What evaluation produces: an outcome per record and rule, and a status
//! per record. The report model and every renderer are built on these.

use crate::plan::RuleId;
use crate::record::DataWarning;
use crate::value::Money;
use chrono::NaiveDate;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    Pass,
    Fail,
    Unknown,
    Waived,
    NotApplicable,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [
        Outcome::Pass,
        Outcome::Fail,
        Outcome::Unknown,
        Outcome::Waived,
        Outcome::NotApplicable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Unknown => "unknown",
            Outcome::Waived => "waived",
            Outcome::NotApplicable => "not_applicable",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Status {
    #[default]
    Compliant,
    NonCompliant,
    Incomplete,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Compliant => "compliant",
            Status::NonCompliant => "non_compliant",
            Status::Incomplete => "incomplete",
        }
    }
}

/// An approved exemption that turned a `fail` or `unknown` into `waived`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    pub reason: Option<String>,
    pub approved_by: Option<String>,
    pub expires: Option<NaiveDate>,
    /// The outcome it waived.
    pub waived: Outcome,
}

/// The outcome of one rule on one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: RuleId,
    pub outcome: Outcome,
    pub message: String,
    /// Fields whose absence made the outcome `unknown`.
    pub missing: Vec<&'static str>,
    /// Other reasons for `unknown`, in words.
    pub problems: Vec<String>,
    /// Boxed: few findings have one, and every finding is moved about.
    pub waiver: Option<Box<Waiver>>,
    /// E.g. an exemption that has expired.
    pub notes: Vec<String>,
    /// An exemption for this rule had expired by the record's date.
    pub exemption_expired: bool,
    /// Other records a cross-record finding concerns.
    pub related: Vec<String>,
}

impl Finding {
    pub fn new(rule: RuleId, outcome: Outcome, message: String) -> Self {
        Finding {
            rule,
            outcome,
            message,
            missing: Vec::new(),
            problems: Vec::new(),
            waiver: None,
            notes: Vec::new(),
            exemption_expired: false,
            related: Vec::new(),
        }
    }
}

/// Where a record came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub file: Arc<str>,
    /// 1-based line in the file, where lines mean something.
    pub line: Option<u64>,
    /// A position that is not a line: an XML notice id, a sheet row.
    pub locator: Option<String>,
}

impl Source {
    pub fn line(file: Arc<str>, line: u64) -> Self {
        Source {
            file,
            line: Some(line),
            locator: None,
        }
    }

    pub fn display(&self) -> String {
        match (&self.line, &self.locator) {
            (Some(l), _) => format!("{}:{l}", self.file),
            (None, Some(loc)) => format!("{} ({loc})", self.file),
            (None, None) => self.file.to_string(),
        }
    }
}

/// A record with its findings.
#[derive(Debug, Clone)]
pub struct Evaluated {
    /// Position in the input, counting input errors too.
    pub index: u64,
    pub source: Source,
    pub id: String,
    pub title: Option<String>,
    /// Code of the record's stage (`planned`, …) in `Domain::Stage`.
    pub stage: Option<u8>,
    pub buyer_id: Option<String>,
    pub buyer_name: Option<String>,
    pub date: Option<NaiveDate>,
    pub value: Option<Money>,
    /// In rule order.
    pub findings: Vec<Finding>,
    pub warnings: Vec<DataWarning>,
    pub status: Status,
    /// The fields the record has, of those whose coverage reports count
    /// ([`crate::report::coverage_fields`]).
    pub present: crate::schema::FieldSet,
    /// Whose procurement it is and which scoped policies are for it, when
    /// the policies have scopes or a register.
    pub scope: Option<Box<crate::scope::RecordScope>>,
}

/// Input that could not be read as a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub index: u64,
    pub source: Source,
    pub message: String,
}

impl Evaluated {
    /// The finding of the rule with index `rule`.
    pub fn finding(&self, rule: RuleId) -> Option<&Finding> {
        self.findings.iter().find(|f| f.rule == rule)
    }
}
