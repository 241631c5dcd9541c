//! The canonical procurement record: the one shape every input format is
//! turned into, and the only thing rules look at.
//!
//! Every field is optional: a field that is absent (or `null`) is missing,
//! and rules that need it are `unknown`. Enumerated fields hold the code of
//! their value in a [`Domain`](crate::schema::Domain).

use crate::schema::{Domain, ItemField, ListField, Scalar};
use crate::value::{ListVal, Money, Val};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::borrow::Cow;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    pub id: Option<String>,
    pub stage: Option<u8>,
    pub title: Option<String>,
    pub buyer: Buyer,
    pub date: Option<NaiveDate>,
    pub category: Option<u8>,
    pub cpv: Option<Vec<String>>,
    pub procedure: Option<u8>,
    pub estimated_value: Option<Money>,
    pub awarded_value: Option<Money>,
    pub framework: Option<bool>,
    pub duration_months: Option<Decimal>,
    pub supplier: Party,
    pub lots: Option<Vec<Lot>>,
    pub lots_justification: Option<String>,
    pub award_criteria: Option<Vec<Criterion>>,
    pub environment: Environment,
    pub vehicles: Option<Vec<Vehicle>>,
    pub fossil_free_site: Option<bool>,
    pub ecommerce_ordering: Option<bool>,
    pub ecommerce_einvoice: Option<bool>,
    pub lcc_assessed: Option<bool>,
    pub labour: Labour,
    pub rationale: Option<String>,
    pub exemptions: Option<Vec<Exemption>>,
    /// Problems found while reading the record: the field concerned is left
    /// missing and the record is still evaluated.
    pub warnings: Vec<DataWarning>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Buyer {
    pub id: Option<String>,
    pub name: Option<String>,
    pub kind: Option<u8>,
    pub unit: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Party {
    pub id: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Environment {
    pub spec_requirements: Option<bool>,
    pub justification: Option<String>,
    pub exemption: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Labour {
    pub max_subcontractor_levels: Option<Decimal>,
    pub apprentices: Option<bool>,
    pub wages_via_bank: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lot {
    pub id: Option<String>,
    pub title: Option<String>,
    pub estimated_value: Option<Money>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Criterion {
    pub name: Option<String>,
    pub kind: Option<u8>,
    pub weight: Option<Decimal>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vehicle {
    pub class: Option<String>,
    pub count: Option<Decimal>,
    pub fuel: Option<u8>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exemption {
    pub rule: Option<String>,
    pub reason: Option<String>,
    pub approved_by: Option<String>,
    pub expires: Option<NaiveDate>,
}

/// A data-quality problem in one field of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataWarning {
    pub field: String,
    pub message: String,
}

fn text(v: &Option<String>) -> Val<'_> {
    v.as_deref()
        .map(|s| Val::Text(Cow::Borrowed(s)))
        .unwrap_or(Val::Unknown)
}

fn code(domain: Domain, v: Option<u8>) -> Val<'static> {
    v.map(|c| Val::Code(domain, c)).unwrap_or(Val::Unknown)
}

fn flag(v: Option<bool>) -> Val<'static> {
    v.map(Val::Bool).unwrap_or(Val::Unknown)
}

fn money(v: &Option<Money>) -> Val<'static> {
    v.map(Val::Money).unwrap_or(Val::Unknown)
}

impl Record {
    /// The value of a single-valued field; `Unknown` when it is missing.
    pub fn scalar(&self, field: Scalar) -> Val<'_> {
        match field {
            Scalar::Id => text(&self.id),
            Scalar::Stage => code(Domain::Stage, self.stage),
            Scalar::Title => text(&self.title),
            Scalar::BuyerId => text(&self.buyer.id),
            Scalar::BuyerName => text(&self.buyer.name),
            Scalar::BuyerKind => code(Domain::BuyerKind, self.buyer.kind),
            Scalar::BuyerUnit => text(&self.buyer.unit),
            Scalar::Date => self.date.map(Val::Date).unwrap_or(Val::Unknown),
            Scalar::Category => code(Domain::Category, self.category),
            Scalar::Procedure => code(Domain::Procedure, self.procedure),
            Scalar::EstimatedValue => money(&self.estimated_value),
            Scalar::AwardedValue => money(&self.awarded_value),
            Scalar::Framework => flag(self.framework),
            Scalar::DurationMonths => self.duration_months.map(Val::Num).unwrap_or(Val::Unknown),
            Scalar::SupplierId => text(&self.supplier.id),
            Scalar::SupplierName => text(&self.supplier.name),
            Scalar::LotsJustification => text(&self.lots_justification),
            Scalar::EnvSpecRequirements => flag(self.environment.spec_requirements),
            Scalar::EnvJustification => text(&self.environment.justification),
            Scalar::EnvExemption => text(&self.environment.exemption),
            Scalar::FossilFreeSite => flag(self.fossil_free_site),
            Scalar::EcommerceOrdering => flag(self.ecommerce_ordering),
            Scalar::EcommerceEinvoice => flag(self.ecommerce_einvoice),
            Scalar::LccAssessed => flag(self.lcc_assessed),
            Scalar::MaxSubcontractorLevels => self
                .labour
                .max_subcontractor_levels
                .map(Val::Num)
                .unwrap_or(Val::Unknown),
            Scalar::Apprentices => flag(self.labour.apprentices),
            Scalar::WagesViaBank => flag(self.labour.wages_via_bank),
            Scalar::Rationale => text(&self.rationale),
        }
    }

    /// A list-valued field; `None` when it is missing.
    pub fn list(&self, field: ListField) -> Option<ListVal<'_>> {
        Some(match field {
            ListField::Cpv => ListVal::Texts(self.cpv.as_deref()?),
            ListField::Lots => ListVal::Items(Items::Lots(self.lots.as_deref()?)),
            ListField::AwardCriteria => ListVal::Items(Items::Criteria(self.award_criteria.as_deref()?)),
            ListField::Vehicles => ListVal::Items(Items::Vehicles(self.vehicles.as_deref()?)),
            ListField::Exemptions => ListVal::Items(Items::Exemptions(self.exemptions.as_deref()?)),
        })
    }

    /// "Value" in the bundled policies' sense: the estimated value, falling
    /// back to the awarded value.
    pub fn value(&self) -> Option<Money> {
        self.estimated_value.or(self.awarded_value)
    }

    pub fn warn(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(DataWarning {
            field: field.into(),
            message: message.into(),
        });
    }
}

/// A borrowed list of objects of one kind.
#[derive(Debug, Clone, Copy)]
pub enum Items<'a> {
    Lots(&'a [Lot]),
    Criteria(&'a [Criterion]),
    Vehicles(&'a [Vehicle]),
    Exemptions(&'a [Exemption]),
}

impl<'a> Items<'a> {
    pub fn len(&self) -> usize {
        match self {
            Items::Lots(v) => v.len(),
            Items::Criteria(v) => v.len(),
            Items::Vehicles(v) => v.len(),
            Items::Exemptions(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn item(&self, i: usize) -> Option<ItemRef<'a>> {
        match self {
            Items::Lots(v) => v.get(i).map(ItemRef::Lot),
            Items::Criteria(v) => v.get(i).map(ItemRef::Criterion),
            Items::Vehicles(v) => v.get(i).map(ItemRef::Vehicle),
            Items::Exemptions(v) => v.get(i).map(ItemRef::Exemption),
        }
    }
}

/// One element of a list of objects, as a bound variable sees it.
#[derive(Debug, Clone, Copy)]
pub enum ItemRef<'a> {
    Lot(&'a Lot),
    Criterion(&'a Criterion),
    Vehicle(&'a Vehicle),
    Exemption(&'a Exemption),
}

impl<'a> ItemRef<'a> {
    /// The field of this element; `Unknown` when missing or not a field of
    /// this kind of element (the checker rules the latter out).
    pub fn field(&self, field: ItemField) -> Val<'a> {
        match (self, field) {
            (ItemRef::Lot(l), ItemField::LotId) => text(&l.id),
            (ItemRef::Lot(l), ItemField::LotTitle) => text(&l.title),
            (ItemRef::Lot(l), ItemField::LotValue) => money(&l.estimated_value),
            (ItemRef::Criterion(c), ItemField::CriterionName) => text(&c.name),
            (ItemRef::Criterion(c), ItemField::CriterionType) => code(Domain::CriterionType, c.kind),
            (ItemRef::Criterion(c), ItemField::CriterionWeight) => c.weight.map(Val::Pct).unwrap_or(Val::Unknown),
            (ItemRef::Vehicle(v), ItemField::VehicleClass) => text(&v.class),
            (ItemRef::Vehicle(v), ItemField::VehicleCount) => v.count.map(Val::Num).unwrap_or(Val::Unknown),
            (ItemRef::Vehicle(v), ItemField::VehicleFuel) => code(Domain::Fuel, v.fuel),
            (ItemRef::Exemption(e), ItemField::ExemptionRule) => text(&e.rule),
            (ItemRef::Exemption(e), ItemField::ExemptionReason) => text(&e.reason),
            (ItemRef::Exemption(e), ItemField::ExemptionApprovedBy) => text(&e.approved_by),
            (ItemRef::Exemption(e), ItemField::ExemptionExpires) => e.expires.map(Val::Date).unwrap_or(Val::Unknown),
            _ => Val::Unknown,
        }
    }

    /// A short description for messages.
    pub fn label(&self) -> String {
        let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_string());
        match self {
            ItemRef::Lot(l) => format!("lot {}", or_dash(&l.id)),
            ItemRef::Criterion(c) => or_dash(&c.name),
            ItemRef::Vehicle(v) => format!(
                "{} ({})",
                or_dash(&v.class),
                v.fuel.map(|f| Domain::Fuel.value(f)).unwrap_or("-")
            ),
            ItemRef::Exemption(e) => or_dash(&e.rule),
        }
    }
}
