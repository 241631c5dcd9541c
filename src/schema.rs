//! The canonical record schema: every field a policy can name, its type, and
//! the closed value sets (domains) of the enumerated fields.
//!
//! The checker resolves field paths through this table at load time, so a
//! typo in a policy is an error with a suggestion rather than a rule that is
//! silently always `unknown`. `docs/records.md` describes the same fields for
//! people.

/// A closed set of values for an enumerated field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Domain {
    Stage,
    BuyerKind,
    Category,
    Procedure,
    CriterionType,
    Fuel,
}

impl Domain {
    pub const ALL: [Domain; 6] = [
        Domain::Stage,
        Domain::BuyerKind,
        Domain::Category,
        Domain::Procedure,
        Domain::CriterionType,
        Domain::Fuel,
    ];

    pub fn values(self) -> &'static [&'static str] {
        match self {
            Domain::Stage => &["planned", "notice", "award", "contract"],
            Domain::BuyerKind => &["state", "county", "municipal", "public_body", "utility"],
            Domain::Category => &["goods", "services", "works"],
            Domain::Procedure => &[
                "open",
                "restricted",
                "negotiated",
                "negotiated_without_notice",
                "competitive_dialogue",
                "innovation_partnership",
                "direct",
                "below_threshold",
                "framework_call_off",
            ],
            Domain::CriterionType => &["price", "cost", "quality", "environment", "social", "innovation"],
            Domain::Fuel => &[
                "electric",
                "hydrogen",
                "biogas",
                "hvo100",
                "ed95",
                "biodiesel",
                "diesel",
                "petrol",
                "natural_gas",
                "hybrid",
                "plugin_hybrid",
            ],
        }
    }

    /// What the field is called in messages.
    pub fn name(self) -> &'static str {
        match self {
            Domain::Stage => "stage",
            Domain::BuyerKind => "buyer kind",
            Domain::Category => "category",
            Domain::Procedure => "procedure",
            Domain::CriterionType => "award criterion type",
            Domain::Fuel => "fuel",
        }
    }

    pub fn value(self, code: u8) -> &'static str {
        self.values().get(usize::from(code)).copied().unwrap_or("?")
    }

    /// The code of `text`; ASCII case and surrounding spaces are ignored.
    pub fn code(self, text: &str) -> Option<u8> {
        let t = text.trim();
        self.values()
            .iter()
            .position(|v| v.eq_ignore_ascii_case(t))
            .and_then(|i| u8::try_from(i).ok())
    }
}

/// The kind of the elements of a list of objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemKind {
    Lot,
    Criterion,
    Vehicle,
    Exemption,
    Participant,
}

impl ItemKind {
    pub fn name(self) -> &'static str {
        match self {
            ItemKind::Lot => "lot",
            ItemKind::Criterion => "award criterion",
            ItemKind::Vehicle => "vehicle",
            ItemKind::Exemption => "exemption",
            ItemKind::Participant => "participant",
        }
    }
}

/// The type of a field as the schema declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    Bool,
    Number,
    Money,
    Percent,
    Date,
    Text,
    Code(Domain),
    TextList,
    Items(ItemKind),
}

/// A single-valued field of the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scalar {
    Id,
    Stage,
    Title,
    BuyerId,
    BuyerName,
    BuyerKind,
    BuyerUnit,
    Date,
    Category,
    Procedure,
    EstimatedValue,
    AwardedValue,
    Framework,
    DurationMonths,
    SupplierId,
    SupplierName,
    LotsJustification,
    EnvSpecRequirements,
    EnvJustification,
    EnvExemption,
    FossilFreeSite,
    EcommerceOrdering,
    EcommerceEinvoice,
    LccAssessed,
    MaxSubcontractorLevels,
    Apprentices,
    WagesViaBank,
    Rationale,
    NoticeId,
}

/// A list-valued field of the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListField {
    Cpv,
    Lots,
    AwardCriteria,
    Vehicles,
    Exemptions,
    Participants,
}

/// A field of an element of a list of objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemField {
    LotId,
    LotTitle,
    LotValue,
    CriterionName,
    CriterionType,
    CriterionWeight,
    VehicleClass,
    VehicleCount,
    VehicleFuel,
    ExemptionRule,
    ExemptionReason,
    ExemptionApprovedBy,
    ExemptionExpires,
    ParticipantId,
    ParticipantName,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Scalar(Scalar),
    List(ListField),
    Item(ItemKind, ItemField),
}

/// One entry of the schema.
#[derive(Debug, Clone, Copy)]
pub struct FieldDef {
    /// As written in a policy: `buyer.kind`, `vehicles`, `vehicles[].fuel`.
    pub path: &'static str,
    pub ty: FieldType,
    pub access: Access,
    pub doc: &'static str,
}

macro_rules! fields {
    ($( $path:literal : $ty:expr, $access:expr, $doc:literal; )*) => {
        /// Every field a policy can name, in the order `docs/records.md` lists them.
        pub const FIELDS: &[FieldDef] = &[ $( FieldDef { path: $path, ty: $ty, access: $access, doc: $doc } ),* ];
    };
}

use Access::{Item as I, List as L, Scalar as S};
use FieldType as T;

fields! {
    "id": T::Text, S(Scalar::Id), "unique id of the record (required)";
    "stage": T::Code(Domain::Stage), S(Scalar::Stage), "planned | notice | award | contract";
    "title": T::Text, S(Scalar::Title), "title of the procurement";
    "buyer.id": T::Text, S(Scalar::BuyerId), "buyer's organisation number";
    "buyer.name": T::Text, S(Scalar::BuyerName), "buyer's name";
    "buyer.kind": T::Code(Domain::BuyerKind), S(Scalar::BuyerKind), "state | county | municipal | public_body | utility";
    "buyer.unit": T::Text, S(Scalar::BuyerUnit), "unit or department within the buyer";
    "participants": T::Items(ItemKind::Participant), L(ListField::Participants), "other authorities that take part in a joint procurement led by the buyer";
    "participants[].id": T::Text, I(ItemKind::Participant, ItemField::ParticipantId), "participant's organisation number";
    "participants[].name": T::Text, I(ItemKind::Participant, ItemField::ParticipantName), "participant's name";
    "date": T::Date, S(Scalar::Date), "the date that decides which rules and thresholds are in force";
    "category": T::Code(Domain::Category), S(Scalar::Category), "goods | services | works";
    "cpv": T::TextList, L(ListField::Cpv), "CPV codes, main code first";
    "procedure": T::Code(Domain::Procedure), S(Scalar::Procedure), "procurement procedure";
    "estimated_value": T::Money, S(Scalar::EstimatedValue), "estimated value excluding VAT";
    "awarded_value": T::Money, S(Scalar::AwardedValue), "awarded (contract) value excluding VAT";
    "framework": T::Bool, S(Scalar::Framework), "the contract is a framework agreement";
    "duration_months": T::Number, S(Scalar::DurationMonths), "contract duration in months";
    "supplier.id": T::Text, S(Scalar::SupplierId), "supplier's organisation number";
    "supplier.name": T::Text, S(Scalar::SupplierName), "supplier's name";
    "lots": T::Items(ItemKind::Lot), L(ListField::Lots), "the lots the procurement is divided into";
    "lots[].id": T::Text, I(ItemKind::Lot, ItemField::LotId), "lot id";
    "lots[].title": T::Text, I(ItemKind::Lot, ItemField::LotTitle), "lot title";
    "lots[].estimated_value": T::Money, I(ItemKind::Lot, ItemField::LotValue), "lot's estimated value";
    "lots_justification": T::Text, S(Scalar::LotsJustification), "why the procurement is not divided into lots";
    "award_criteria": T::Items(ItemKind::Criterion), L(ListField::AwardCriteria), "award criteria";
    "award_criteria[].name": T::Text, I(ItemKind::Criterion, ItemField::CriterionName), "criterion name";
    "award_criteria[].type": T::Code(Domain::CriterionType), I(ItemKind::Criterion, ItemField::CriterionType), "price | cost | quality | environment | social | innovation";
    "award_criteria[].weight": T::Percent, I(ItemKind::Criterion, ItemField::CriterionWeight), "weight in percent";
    "environment.spec_requirements": T::Bool, S(Scalar::EnvSpecRequirements), "climate/environment requirements in the specification replace criteria";
    "environment.justification": T::Text, S(Scalar::EnvJustification), "justification for spec requirements or an exemption";
    "environment.exemption": T::Text, S(Scalar::EnvExemption), "ground for exemption from the climate weighting";
    "vehicles": T::Items(ItemKind::Vehicle), L(ListField::Vehicles), "vehicles bought or used";
    "vehicles[].class": T::Text, I(ItemKind::Vehicle, ItemField::VehicleClass), "vehicle class (M1, N1, M3, …)";
    "vehicles[].count": T::Number, I(ItemKind::Vehicle, ItemField::VehicleCount), "number of vehicles";
    "vehicles[].fuel": T::Code(Domain::Fuel), I(ItemKind::Vehicle, ItemField::VehicleFuel), "fuel or energy carrier";
    "construction.fossil_free_site": T::Bool, S(Scalar::FossilFreeSite), "the building or construction site is fossil-free";
    "ecommerce.ordering": T::Bool, S(Scalar::EcommerceOrdering), "orders are placed through e-commerce";
    "ecommerce.einvoice": T::Bool, S(Scalar::EcommerceEinvoice), "invoices are received as EHF e-invoices";
    "lcc.assessed": T::Bool, S(Scalar::LccAssessed), "life-cycle cost was assessed";
    "labour.max_subcontractor_levels": T::Number, S(Scalar::MaxSubcontractorLevels), "most subcontractor levels allowed in a chain";
    "labour.apprentices": T::Bool, S(Scalar::Apprentices), "the contract requires apprentices";
    "labour.wages_via_bank": T::Bool, S(Scalar::WagesViaBank), "wages are paid through a bank";
    "rationale": T::Text, S(Scalar::Rationale), "legal basis for a direct award or award without notice";
    "notice_id": T::Text, S(Scalar::NoticeId), "id of the published notice the record comes from (Doffin, TED, OCDS ocid)";
    "exemptions": T::Items(ItemKind::Exemption), L(ListField::Exemptions), "approved exemptions from rules";
    "exemptions[].rule": T::Text, I(ItemKind::Exemption, ItemField::ExemptionRule), "id of the rule waived";
    "exemptions[].reason": T::Text, I(ItemKind::Exemption, ItemField::ExemptionReason), "why";
    "exemptions[].approved_by": T::Text, I(ItemKind::Exemption, ItemField::ExemptionApprovedBy), "who approved it";
    "exemptions[].expires": T::Date, I(ItemKind::Exemption, ItemField::ExemptionExpires), "last day the exemption is valid";
}

/// Index of a field in [`FIELDS`]; also its bit in a missing-field mask.
pub type FieldIndex = u8;

/// The index of `path` in [`FIELDS`], computed at compile time (an unknown
/// path does not compile).
pub const fn idx(path: &str) -> FieldIndex {
    let mut i = 0;
    while i < FIELDS.len() {
        if str_eq(FIELDS[i].path, path) {
            return i as FieldIndex;
        }
        i += 1;
    }
    panic!("no such field in the schema")
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

pub fn field_by_path(path: &str) -> Option<(FieldIndex, &'static FieldDef)> {
    FIELDS
        .iter()
        .enumerate()
        .find(|(_, f)| f.path == path)
        .and_then(|(i, f)| Some((FieldIndex::try_from(i).ok()?, f)))
}

/// The field of an element of `kind` called `name` (`weight` of a criterion).
pub fn item_field(kind: ItemKind, name: &str) -> Option<(FieldIndex, &'static FieldDef)> {
    FIELDS.iter().enumerate().find_map(|(i, f)| match f.access {
        Access::Item(k, _) if k == kind && f.path.rsplit('.').next() == Some(name) => {
            Some((FieldIndex::try_from(i).ok()?, f))
        }
        _ => None,
    })
}

/// The names of the fields of an element of `kind`.
pub fn item_field_names(kind: ItemKind) -> Vec<&'static str> {
    FIELDS
        .iter()
        .filter_map(|f| match f.access {
            Access::Item(k, _) if k == kind => f.path.rsplit('.').next(),
            _ => None,
        })
        .collect()
}

/// A field a policy declares for the buyer's own data (`field
/// project.code : text`), read from the records beside the canonical fields.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtraField {
    /// The dotted path, as in the records.
    pub path: &'static str,
    pub ty: FieldType,
}

impl ExtraField {
    /// Its index in a [`FieldSet`], after the canonical fields.
    pub fn index(slot: usize) -> Option<FieldIndex> {
        FieldIndex::try_from(FIELDS_LEN + slot)
            .ok()
            .filter(|i| usize::from(*i) < FieldSet::CAPACITY)
    }
}

/// The declared fields of a plan, by slot.
pub type Extras = std::sync::Arc<[ExtraField]>;

/// What a reader reads: the canonical fields in `fields` (and always `id`),
/// and the declared fields.
#[derive(Debug, Clone)]
pub struct Want {
    pub fields: FieldSet,
    pub extras: Extras,
}

impl Want {
    /// Every canonical field, no declared ones.
    pub fn all() -> Want {
        Want {
            fields: FieldSet::ALL,
            extras: Extras::from([]),
        }
    }
}

/// The most fields a plan can declare.
pub const MAX_EXTRAS: usize = FieldSet::CAPACITY - FIELDS_LEN;

/// A declared field's path, interned: findings name missing fields by
/// `&'static str`, and a service that reloads its policies must not leak a
/// copy of every name on every reload.
pub fn intern(path: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(known) = names.get(path) {
        return known;
    }
    let leaked: &'static str = Box::leak(path.to_owned().into_boxed_str());
    names.insert(leaked);
    leaked
}

/// A set of fields, one bit each: the canonical fields, then the declared ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FieldSet(u128);

const FIELDS_LEN: usize = 50;

impl FieldSet {
    pub const CAPACITY: usize = 128;

    /// Every field.
    pub const ALL: FieldSet = FieldSet(u128::MAX);

    pub fn contains(&self, index: FieldIndex) -> bool {
        usize::from(index) < Self::CAPACITY && self.0 & (1 << index) != 0
    }

    pub fn insert(&mut self, index: FieldIndex) {
        if usize::from(index) < Self::CAPACITY {
            self.0 |= 1 << index;
        }
    }

    pub fn union(&mut self, other: FieldSet) {
        self.0 |= other.0;
    }

    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// The fields in both sets.
    pub fn intersection(self, other: FieldSet) -> FieldSet {
        FieldSet(self.0 & other.0)
    }

    /// The indices in the set, in order.
    pub fn iter(self) -> impl Iterator<Item = FieldIndex> {
        let mut bits = self.0;
        std::iter::from_fn(move || {
            if bits == 0 {
                return None;
            }
            let i = bits.trailing_zeros();
            bits &= bits - 1;
            FieldIndex::try_from(i).ok()
        })
    }

    /// The paths of the fields in the set; `extras` names the declared ones.
    pub fn paths(&self, extras: &[ExtraField]) -> Vec<&'static str> {
        self.iter()
            .map(usize::from)
            .filter_map(|i| match i.checked_sub(FIELDS_LEN) {
                None => FIELDS.get(i).map(|f| f.path),
                Some(slot) => extras.get(slot).map(|e| e.path),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_table_is_consistent() {
        assert_eq!(FIELDS.len(), FIELDS_LEN);
        for (i, f) in FIELDS.iter().enumerate() {
            assert_eq!(
                field_by_path(f.path).map(|(j, _)| usize::from(j)),
                Some(i),
                "{} twice",
                f.path
            );
        }
        assert!(item_field(ItemKind::Criterion, "weight").is_some());
        assert!(item_field(ItemKind::Vehicle, "weight").is_none());
        assert_eq!(field_by_path("date").map(|(i, _)| i), Some(crate::eval::DATE_FIELD));
    }

    #[test]
    fn domains_parse_leniently() {
        assert_eq!(Domain::Procedure.code("Direct"), Some(6));
        assert_eq!(Domain::Procedure.code("dirct"), None);
        assert_eq!(Domain::Fuel.value(0), "electric");
    }
}
