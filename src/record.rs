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
    /// Other authorities taking part in a joint procurement the buyer
    /// leads (a framework agreement several buyers may call off from).
    pub participants: Option<Vec<Party>>,
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
    pub notice_id: Option<String>,
    /// Values of the fields the policies declare (`field project.code :
    /// text`), by the field's slot in the plan; absent ones are missing.
    pub extras: Vec<Extra>,
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
    /// An expiry date was given but could not be read: the exemption cannot
    /// be shown to be valid.
    pub expiry_unreadable: bool,
}

/// The value of a declared field.
#[derive(Debug, Clone, PartialEq)]
pub struct Extra {
    pub slot: u8,
    /// The field's path, to write the record back out.
    pub path: &'static str,
    pub value: ExtraValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExtraValue {
    Text(String),
    Bool(bool),
    Num(Decimal),
    Pct(Decimal),
    Money(Money),
    Date(NaiveDate),
    Texts(Vec<String>),
}

impl ExtraValue {
    pub fn val(&self) -> Val<'_> {
        match self {
            ExtraValue::Text(t) => Val::Text(Cow::Borrowed(t)),
            ExtraValue::Bool(b) => Val::Bool(*b),
            ExtraValue::Num(n) => Val::Num(*n),
            ExtraValue::Pct(p) => Val::Pct(*p),
            ExtraValue::Money(m) => Val::Money(*m),
            ExtraValue::Date(d) => Val::Date(*d),
            ExtraValue::Texts(t) => Val::List(ListVal::Texts(t)),
        }
    }
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
            Scalar::NoticeId => text(&self.notice_id),
        }
    }

    /// The value of the declared field in `slot`; `Unknown` when missing.
    pub fn extra(&self, slot: u8) -> Val<'_> {
        self.extras
            .iter()
            .find(|e| e.slot == slot)
            .map(|e| e.value.val())
            .unwrap_or(Val::Unknown)
    }

    /// Set a declared field, replacing an earlier value.
    pub fn set_extra(&mut self, slot: u8, path: &'static str, value: ExtraValue) {
        self.extras.retain(|e| e.slot != slot);
        self.extras.push(Extra { slot, path, value });
    }

    /// Whether the record has the field, without making its value.
    pub fn has(&self, field: Scalar) -> bool {
        match field {
            Scalar::Id => self.id.is_some(),
            Scalar::Stage => self.stage.is_some(),
            Scalar::Title => self.title.is_some(),
            Scalar::BuyerId => self.buyer.id.is_some(),
            Scalar::BuyerName => self.buyer.name.is_some(),
            Scalar::BuyerKind => self.buyer.kind.is_some(),
            Scalar::BuyerUnit => self.buyer.unit.is_some(),
            Scalar::Date => self.date.is_some(),
            Scalar::Category => self.category.is_some(),
            Scalar::Procedure => self.procedure.is_some(),
            Scalar::EstimatedValue => self.estimated_value.is_some(),
            Scalar::AwardedValue => self.awarded_value.is_some(),
            Scalar::Framework => self.framework.is_some(),
            Scalar::DurationMonths => self.duration_months.is_some(),
            Scalar::SupplierId => self.supplier.id.is_some(),
            Scalar::SupplierName => self.supplier.name.is_some(),
            Scalar::LotsJustification => self.lots_justification.is_some(),
            Scalar::EnvSpecRequirements => self.environment.spec_requirements.is_some(),
            Scalar::EnvJustification => self.environment.justification.is_some(),
            Scalar::EnvExemption => self.environment.exemption.is_some(),
            Scalar::FossilFreeSite => self.fossil_free_site.is_some(),
            Scalar::EcommerceOrdering => self.ecommerce_ordering.is_some(),
            Scalar::EcommerceEinvoice => self.ecommerce_einvoice.is_some(),
            Scalar::LccAssessed => self.lcc_assessed.is_some(),
            Scalar::MaxSubcontractorLevels => self.labour.max_subcontractor_levels.is_some(),
            Scalar::Apprentices => self.labour.apprentices.is_some(),
            Scalar::WagesViaBank => self.labour.wages_via_bank.is_some(),
            Scalar::Rationale => self.rationale.is_some(),
            Scalar::NoticeId => self.notice_id.is_some(),
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
            ListField::Participants => ListVal::Items(Items::Participants(self.participants.as_deref()?)),
        })
    }

    /// The list of objects of `kind`; `None` when it is missing.
    pub fn items(&self, kind: crate::schema::ItemKind) -> Option<Items<'_>> {
        use crate::schema::ItemKind;
        Some(match kind {
            ItemKind::Lot => Items::Lots(self.lots.as_deref()?),
            ItemKind::Criterion => Items::Criteria(self.award_criteria.as_deref()?),
            ItemKind::Vehicle => Items::Vehicles(self.vehicles.as_deref()?),
            ItemKind::Exemption => Items::Exemptions(self.exemptions.as_deref()?),
            ItemKind::Participant => Items::Participants(self.participants.as_deref()?),
        })
    }

    /// The fields this record has, one bit per field of `schema::FIELDS`;
    /// a field of list elements counts when every element has it.
    pub fn present(&self) -> crate::schema::FieldSet {
        self.present_of(crate::schema::FieldSet::ALL)
    }

    /// [`Record::present`], of the fields in `fields` only.
    pub fn present_of(&self, fields: crate::schema::FieldSet) -> crate::schema::FieldSet {
        use crate::schema::{Access, FIELDS};
        let mut set = crate::schema::FieldSet::default();
        for i in fields.iter() {
            let Some(f) = FIELDS.get(usize::from(i)) else { break };
            let has = match f.access {
                Access::Scalar(s) => self.has(s),
                Access::List(l) => self.list(l).is_some(),
                Access::Item(kind, field) => match self.items(kind) {
                    Some(items) if !items.is_empty() => {
                        (0..items.len()).all(|j| items.item(j).is_some_and(|it| it.has(field)))
                    }
                    _ => false,
                },
            };
            if has {
                set.insert(i);
            }
        }
        for e in &self.extras {
            if let Some(i) = crate::schema::ExtraField::index(usize::from(e.slot))
                && fields.contains(i)
            {
                set.insert(i);
            }
        }
        set
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
    Participants(&'a [Party]),
}

impl<'a> Items<'a> {
    pub fn len(&self) -> usize {
        match self {
            Items::Lots(v) => v.len(),
            Items::Criteria(v) => v.len(),
            Items::Vehicles(v) => v.len(),
            Items::Exemptions(v) => v.len(),
            Items::Participants(v) => v.len(),
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
            Items::Participants(v) => v.get(i).map(ItemRef::Participant),
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
    Participant(&'a Party),
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
            (ItemRef::Participant(p), ItemField::ParticipantId) => text(&p.id),
            (ItemRef::Participant(p), ItemField::ParticipantName) => text(&p.name),
            _ => Val::Unknown,
        }
    }

    /// Whether the element has the field, without making its value.
    pub fn has(&self, field: ItemField) -> bool {
        match (self, field) {
            (ItemRef::Lot(l), ItemField::LotId) => l.id.is_some(),
            (ItemRef::Lot(l), ItemField::LotTitle) => l.title.is_some(),
            (ItemRef::Lot(l), ItemField::LotValue) => l.estimated_value.is_some(),
            (ItemRef::Criterion(c), ItemField::CriterionName) => c.name.is_some(),
            (ItemRef::Criterion(c), ItemField::CriterionType) => c.kind.is_some(),
            (ItemRef::Criterion(c), ItemField::CriterionWeight) => c.weight.is_some(),
            (ItemRef::Vehicle(v), ItemField::VehicleClass) => v.class.is_some(),
            (ItemRef::Vehicle(v), ItemField::VehicleCount) => v.count.is_some(),
            (ItemRef::Vehicle(v), ItemField::VehicleFuel) => v.fuel.is_some(),
            (ItemRef::Exemption(e), ItemField::ExemptionRule) => e.rule.is_some(),
            (ItemRef::Exemption(e), ItemField::ExemptionReason) => e.reason.is_some(),
            (ItemRef::Exemption(e), ItemField::ExemptionApprovedBy) => e.approved_by.is_some(),
            (ItemRef::Exemption(e), ItemField::ExemptionExpires) => e.expires.is_some(),
            (ItemRef::Participant(p), ItemField::ParticipantId) => p.id.is_some(),
            (ItemRef::Participant(p), ItemField::ParticipantName) => p.name.is_some(),
            _ => false,
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
            ItemRef::Participant(p) => p
                .name
                .clone()
                .or_else(|| p.id.clone())
                .unwrap_or_else(|| "-".to_string()),
        }
    }
}

/// The record in the canonical JSON format (`docs/records.md`): what
/// `anskaff import` writes, and what the canonical reader reads back.
pub mod canonical_json {
    use super::*;
    use serde::Serialize;

    fn none<T>(v: &Option<T>) -> bool {
        v.is_none()
    }

    #[derive(Serialize)]
    struct MoneyJ {
        amount: String,
        currency: String,
    }

    fn money(m: &Option<Money>) -> Option<MoneyJ> {
        m.map(|m| MoneyJ {
            amount: m.amount.normalize().to_string(),
            currency: m.currency.to_string(),
        })
    }

    fn code(domain: Domain, c: Option<u8>) -> Option<&'static str> {
        c.map(|c| domain.value(c))
    }

    fn dec(d: &Option<Decimal>) -> Option<serde_json::Number> {
        d.and_then(|d| d.normalize().to_string().parse::<serde_json::Number>().ok())
    }

    #[derive(Serialize)]
    struct BuyerJ<'a> {
        #[serde(skip_serializing_if = "none")]
        id: Option<&'a str>,
        #[serde(skip_serializing_if = "none")]
        name: Option<&'a str>,
        #[serde(skip_serializing_if = "none")]
        kind: Option<&'static str>,
        #[serde(skip_serializing_if = "none")]
        unit: Option<&'a str>,
    }

    #[derive(Serialize)]
    struct PartyJ<'a> {
        #[serde(skip_serializing_if = "none")]
        id: Option<&'a str>,
        #[serde(skip_serializing_if = "none")]
        name: Option<&'a str>,
    }

    #[derive(Serialize)]
    struct LotJ<'a> {
        #[serde(skip_serializing_if = "none")]
        id: Option<&'a str>,
        #[serde(skip_serializing_if = "none")]
        title: Option<&'a str>,
        #[serde(skip_serializing_if = "none")]
        estimated_value: Option<MoneyJ>,
    }

    #[derive(Serialize)]
    struct CriterionJ<'a> {
        #[serde(skip_serializing_if = "none")]
        name: Option<&'a str>,
        #[serde(rename = "type", skip_serializing_if = "none")]
        kind: Option<&'static str>,
        #[serde(skip_serializing_if = "none")]
        weight: Option<serde_json::Number>,
    }

    #[derive(Serialize)]
    struct VehicleJ<'a> {
        #[serde(skip_serializing_if = "none")]
        class: Option<&'a str>,
        #[serde(skip_serializing_if = "none")]
        count: Option<serde_json::Number>,
        #[serde(skip_serializing_if = "none")]
        fuel: Option<&'static str>,
    }

    #[derive(Serialize)]
    struct ExemptionJ<'a> {
        #[serde(skip_serializing_if = "none")]
        rule: Option<&'a str>,
        #[serde(skip_serializing_if = "none")]
        reason: Option<&'a str>,
        #[serde(skip_serializing_if = "none")]
        approved_by: Option<&'a str>,
        #[serde(skip_serializing_if = "none")]
        expires: Option<String>,
    }

    #[derive(Serialize)]
    struct EnvJ<'a> {
        #[serde(skip_serializing_if = "none")]
        spec_requirements: Option<bool>,
        #[serde(skip_serializing_if = "none")]
        justification: Option<&'a str>,
        #[serde(skip_serializing_if = "none")]
        exemption: Option<&'a str>,
    }

    #[derive(Serialize)]
    struct FlagJ {
        #[serde(skip_serializing_if = "none")]
        fossil_free_site: Option<bool>,
    }

    #[derive(Serialize)]
    struct EcomJ {
        #[serde(skip_serializing_if = "none")]
        ordering: Option<bool>,
        #[serde(skip_serializing_if = "none")]
        einvoice: Option<bool>,
    }

    #[derive(Serialize)]
    struct LccJ {
        #[serde(skip_serializing_if = "none")]
        assessed: Option<bool>,
    }

    #[derive(Serialize)]
    struct LabourJ {
        #[serde(skip_serializing_if = "none")]
        max_subcontractor_levels: Option<serde_json::Number>,
        #[serde(skip_serializing_if = "none")]
        apprentices: Option<bool>,
        #[serde(skip_serializing_if = "none")]
        wages_via_bank: Option<bool>,
    }

    #[derive(Serialize)]
    struct RecordJ<'a> {
        #[serde(skip_serializing_if = "none")]
        id: Option<&'a str>,
        #[serde(skip_serializing_if = "none")]
        notice_id: Option<&'a str>,
        #[serde(skip_serializing_if = "none")]
        stage: Option<&'static str>,
        #[serde(skip_serializing_if = "none")]
        title: Option<&'a str>,
        #[serde(skip_serializing_if = "none")]
        buyer: Option<BuyerJ<'a>>,
        #[serde(skip_serializing_if = "none")]
        participants: Option<Vec<PartyJ<'a>>>,
        #[serde(skip_serializing_if = "none")]
        date: Option<String>,
        #[serde(skip_serializing_if = "none")]
        category: Option<&'static str>,
        #[serde(skip_serializing_if = "none")]
        cpv: Option<&'a [String]>,
        #[serde(skip_serializing_if = "none")]
        procedure: Option<&'static str>,
        #[serde(skip_serializing_if = "none")]
        estimated_value: Option<MoneyJ>,
        #[serde(skip_serializing_if = "none")]
        awarded_value: Option<MoneyJ>,
        #[serde(skip_serializing_if = "none")]
        framework: Option<bool>,
        #[serde(skip_serializing_if = "none")]
        duration_months: Option<serde_json::Number>,
        #[serde(skip_serializing_if = "none")]
        supplier: Option<PartyJ<'a>>,
        #[serde(skip_serializing_if = "none")]
        lots: Option<Vec<LotJ<'a>>>,
        #[serde(skip_serializing_if = "none")]
        lots_justification: Option<&'a str>,
        #[serde(skip_serializing_if = "none")]
        award_criteria: Option<Vec<CriterionJ<'a>>>,
        #[serde(skip_serializing_if = "none")]
        environment: Option<EnvJ<'a>>,
        #[serde(skip_serializing_if = "none")]
        vehicles: Option<Vec<VehicleJ<'a>>>,
        #[serde(skip_serializing_if = "none")]
        construction: Option<FlagJ>,
        #[serde(skip_serializing_if = "none")]
        ecommerce: Option<EcomJ>,
        #[serde(skip_serializing_if = "none")]
        lcc: Option<LccJ>,
        #[serde(skip_serializing_if = "none")]
        labour: Option<LabourJ>,
        #[serde(skip_serializing_if = "none")]
        rationale: Option<&'a str>,
        #[serde(skip_serializing_if = "none")]
        exemptions: Option<Vec<ExemptionJ<'a>>>,
        /// Declared fields, nested by their dotted paths.
        #[serde(flatten)]
        extras: serde_json::Map<String, serde_json::Value>,
    }

    fn extras_json(extras: &[super::Extra]) -> serde_json::Map<String, serde_json::Value> {
        use super::ExtraValue as E;
        use serde_json::Value;
        let mut root = serde_json::Map::new();
        for e in extras {
            let value = match &e.value {
                E::Text(t) => Value::String(t.clone()),
                E::Bool(b) => Value::Bool(*b),
                E::Num(n) | E::Pct(n) => dec(&Some(*n)).map(Value::Number).unwrap_or(Value::Null),
                E::Money(m) => serde_json::to_value(money(&Some(*m))).unwrap_or(Value::Null),
                E::Date(d) => Value::String(d.to_string()),
                E::Texts(t) => Value::Array(t.iter().cloned().map(Value::String).collect()),
            };
            let mut steps = e.path.split('.').peekable();
            let mut map = &mut root;
            while let Some(step) = steps.next() {
                if steps.peek().is_none() {
                    map.insert(step.to_string(), value);
                    break;
                }
                let slot = map
                    .entry(step.to_string())
                    .or_insert_with(|| Value::Object(serde_json::Map::new()));
                if !slot.is_object() {
                    *slot = Value::Object(serde_json::Map::new());
                }
                let Value::Object(inner) = slot else { break };
                map = inner;
            }
        }
        root
    }

    /// The record as canonical JSON (one line, fields in the documented
    /// order; missing fields are left out).
    pub fn to_json(r: &Record) -> String {
        let b = &r.buyer;
        let buyer = (b.id.is_some() || b.name.is_some() || b.kind.is_some() || b.unit.is_some()).then(|| BuyerJ {
            id: b.id.as_deref(),
            name: b.name.as_deref(),
            kind: code(Domain::BuyerKind, b.kind),
            unit: b.unit.as_deref(),
        });
        let s = &r.supplier;
        let supplier = (s.id.is_some() || s.name.is_some()).then_some(PartyJ {
            id: s.id.as_deref(),
            name: s.name.as_deref(),
        });
        let e = &r.environment;
        let environment = (e.spec_requirements.is_some() || e.justification.is_some() || e.exemption.is_some())
            .then_some(EnvJ {
                spec_requirements: e.spec_requirements,
                justification: e.justification.as_deref(),
                exemption: e.exemption.as_deref(),
            });
        let l = &r.labour;
        let labour = (l.max_subcontractor_levels.is_some() || l.apprentices.is_some() || l.wages_via_bank.is_some())
            .then(|| LabourJ {
                max_subcontractor_levels: dec(&l.max_subcontractor_levels),
                apprentices: l.apprentices,
                wages_via_bank: l.wages_via_bank,
            });
        let json = RecordJ {
            id: r.id.as_deref(),
            notice_id: r.notice_id.as_deref(),
            stage: code(Domain::Stage, r.stage),
            title: r.title.as_deref(),
            buyer,
            participants: r.participants.as_ref().map(|ps| {
                ps.iter()
                    .map(|p| PartyJ {
                        id: p.id.as_deref(),
                        name: p.name.as_deref(),
                    })
                    .collect()
            }),
            date: r.date.map(|d| d.to_string()),
            category: code(Domain::Category, r.category),
            cpv: r.cpv.as_deref(),
            procedure: code(Domain::Procedure, r.procedure),
            estimated_value: money(&r.estimated_value),
            awarded_value: money(&r.awarded_value),
            framework: r.framework,
            duration_months: dec(&r.duration_months),
            supplier,
            lots: r.lots.as_ref().map(|lots| {
                lots.iter()
                    .map(|l| LotJ {
                        id: l.id.as_deref(),
                        title: l.title.as_deref(),
                        estimated_value: money(&l.estimated_value),
                    })
                    .collect()
            }),
            lots_justification: r.lots_justification.as_deref(),
            award_criteria: r.award_criteria.as_ref().map(|cs| {
                cs.iter()
                    .map(|c| CriterionJ {
                        name: c.name.as_deref(),
                        kind: code(Domain::CriterionType, c.kind),
                        weight: dec(&c.weight),
                    })
                    .collect()
            }),
            environment,
            vehicles: r.vehicles.as_ref().map(|vs| {
                vs.iter()
                    .map(|v| VehicleJ {
                        class: v.class.as_deref(),
                        count: dec(&v.count),
                        fuel: code(Domain::Fuel, v.fuel),
                    })
                    .collect()
            }),
            construction: r.fossil_free_site.map(|f| FlagJ {
                fossil_free_site: Some(f),
            }),
            ecommerce: (r.ecommerce_ordering.is_some() || r.ecommerce_einvoice.is_some()).then_some(EcomJ {
                ordering: r.ecommerce_ordering,
                einvoice: r.ecommerce_einvoice,
            }),
            lcc: r.lcc_assessed.map(|a| LccJ { assessed: Some(a) }),
            labour,
            rationale: r.rationale.as_deref(),
            exemptions: r.exemptions.as_ref().map(|es| {
                es.iter()
                    .map(|e| ExemptionJ {
                        rule: e.rule.as_deref(),
                        reason: e.reason.as_deref(),
                        approved_by: e.approved_by.as_deref(),
                        expires: e.expires.map(|d| d.to_string()),
                    })
                    .collect()
            }),
            extras: extras_json(&r.extras),
        };
        serde_json::to_string(&json).unwrap_or_default()
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn canonical_json_round_trips_the_examples() {
            let text = std::fs::read_to_string("examples/tenders.jsonl").expect("examples");
            for line in text.lines() {
                let first = crate::input::canonical::parse_record(line.as_bytes()).expect("parses");
                if !first.warnings.is_empty() {
                    continue;
                }
                let again = crate::input::canonical::parse_record(super::to_json(&first).as_bytes()).expect("parses");
                assert_eq!(first, again, "{line}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::schema::{Access, FIELDS};

    /// `has` answers without making values; it must agree with them.
    #[test]
    fn presence_agrees_with_values() {
        let text = std::fs::read_to_string("examples/tenders.jsonl").expect("examples");
        let mut checked = 0;
        for line in text.lines() {
            let r = crate::input::canonical::parse_record(line.as_bytes()).expect("parses");
            for f in FIELDS {
                match f.access {
                    Access::Scalar(s) => assert_eq!(r.has(s), !r.scalar(s).is_unknown(), "{}", f.path),
                    Access::Item(kind, field) => {
                        if let Some(items) = r.items(kind) {
                            for i in 0..items.len() {
                                let item = items.item(i).expect("an element");
                                assert_eq!(item.has(field), !item.field(field).is_unknown(), "{}", f.path);
                                checked += 1;
                            }
                        }
                    }
                    Access::List(_) => {}
                }
            }
        }
        assert!(checked > 0);
    }
}
