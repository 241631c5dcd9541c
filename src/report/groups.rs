//! Reports per buyer or per cooperation (`--group-by`), and the report for
//! one member's council (`--member`).
//!
//! A record counts in the group of each of its parties: a joint procurement
//! counts for its buyer and for every participant, each with the findings
//! that are that party's (the rules of the policies whose scope holds for
//! it, and the rules for everyone). Group totals can therefore add up to
//! more than the run's total; the overall figures count each record once.
//!
//! Grouped by cooperation, a party counts in every cooperation it belonged
//! to on the record's date (through the organisation register), as one of
//! its members; parties in no cooperation are grouped apart.

use super::{Breakdown, RuleTally, Standing};
use crate::finding::{Evaluated, Finding, Outcome};
use crate::plan::Plan;
use crate::scope::{PartySet, RecordScope};
use crate::syntax::ast::Lang;
use std::collections::BTreeMap;

/// What records are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupBy {
    Buyer,
    Cooperation,
}

impl GroupBy {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Buyer => "buyer",
            GroupBy::Cooperation => "cooperation",
        }
    }
}

/// The key of the group of records of parties in no cooperation.
pub const NO_COOPERATION: &str = "-";
/// The key of the group of records of parties whose membership the
/// register cannot tell (no date, a fuzzy edge): neither in nor out.
pub const UNKNOWN_COOPERATION: &str = "?";
/// The key of the group of records of parties the register does not know
/// at all: whether they are in a cooperation is not for it to say.
pub const NOT_IN_REGISTER: &str = "!";

/// Whether `key` is one of the groups that are not a cooperation.
pub fn is_special(key: &str) -> bool {
    matches!(key, NO_COOPERATION | UNKNOWN_COOPERATION | NOT_IN_REGISTER)
}

/// A group a record counts in, and for which of its parties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The group: a buyer's key, or a cooperation's id.
    pub key: String,
    pub name: String,
    /// Within a cooperation: the member's key and name.
    pub member: Option<(String, String)>,
    /// The record's parties that put it here.
    pub parties: PartySet,
}

/// The groups a record counts in, in a stable order.
pub fn places(plan: &Plan, r: &Evaluated, by: GroupBy, lang: Lang) -> Vec<Place> {
    let Some(scope) = &r.scope else {
        // No register and no scopes: the buyer as the record names it.
        let key = r
            .buyer_id
            .as_deref()
            .map(crate::eval::normalize_id)
            .or_else(|| r.buyer_name.as_deref().map(crate::eval::normalize_name))
            .unwrap_or_else(|| "-".to_string());
        let name = r
            .buyer_name
            .clone()
            .or_else(|| r.buyer_id.clone())
            .unwrap_or_else(|| "-".to_string());
        let place = match by {
            GroupBy::Buyer => Place {
                key,
                name,
                member: None,
                parties: crate::scope::ALL_PARTIES,
            },
            GroupBy::Cooperation => Place {
                key: NO_COOPERATION.to_string(),
                name: no_cooperation(lang),
                member: Some((key, name)),
                parties: crate::scope::ALL_PARTIES,
            },
        };
        return vec![place];
    };
    let reg = &plan.register;
    let mut out: Vec<Place> = Vec::new();
    let mut add = |p: Place| match out.iter_mut().find(|x| x.key == p.key && x.member == p.member) {
        Some(x) => x.parties |= p.parties,
        None => out.push(p),
    };
    for (i, party) in scope.parties.iter().enumerate() {
        let bit = 1u64 << i;
        let (key, name) = (party.key(reg), party.display(reg, lang));
        match by {
            GroupBy::Buyer => add(Place {
                key,
                name,
                member: None,
                parties: bit,
            }),
            GroupBy::Cooperation => {
                use crate::register::{Belongs, CoopId, Resolved};
                let all_coops = || (0..reg.cooperations.len()).filter_map(|c| CoopId::try_from(c).ok());
                let unsure = |a| all_coops().any(|c| reg.belongs(c, a, r.date) == Belongs::Unknown);
                let (coops, group) = match &party.resolved {
                    Resolved::Found(a) => {
                        let coops = reg.cooperations_of(*a, r.date);
                        let group = if unsure(*a) {
                            Some((UNKNOWN_COOPERATION, unknown_cooperation(lang)))
                        } else if coops.is_empty() {
                            Some((NO_COOPERATION, no_cooperation(lang)))
                        } else {
                            None
                        };
                        (coops, group)
                    }
                    // One of several authorities: unknown if any of them
                    // is, or may be, in a cooperation.
                    Resolved::Ambiguous(candidates) => {
                        let any = candidates
                            .iter()
                            .any(|&a| all_coops().any(|c| !matches!(reg.belongs(c, a, r.date), Belongs::No(_))));
                        let group = if any {
                            (UNKNOWN_COOPERATION, unknown_cooperation(lang))
                        } else {
                            (NO_COOPERATION, no_cooperation(lang))
                        };
                        (Vec::new(), Some(group))
                    }
                    Resolved::NotFound if party.id.is_none() && party.name.is_none() => {
                        // Who the party is, the record does not say.
                        let group = if reg.cooperations.is_empty() {
                            (NO_COOPERATION, no_cooperation(lang))
                        } else {
                            (UNKNOWN_COOPERATION, unknown_cooperation(lang))
                        };
                        (Vec::new(), Some(group))
                    }
                    Resolved::NotFound => (Vec::new(), Some((NOT_IN_REGISTER, not_in_register(lang)))),
                };
                if let Some((group, group_name)) = group {
                    add(Place {
                        key: group.to_string(),
                        name: group_name,
                        member: Some((key.clone(), name.clone())),
                        parties: bit,
                    });
                }
                for c in coops {
                    let c = reg.cooperation(c);
                    add(Place {
                        key: c.id.clone(),
                        name: c.name.clone(),
                        member: Some((key.clone(), name.clone())),
                        parties: bit,
                    });
                }
            }
        }
    }
    out
}

fn unknown_cooperation(lang: Lang) -> String {
    match lang {
        Lang::Nb => "Medlemskap ukjent (uten dato, eller registeret vet ikke)",
        Lang::En => "Membership unknown (no date, or the register cannot tell)",
    }
    .to_string()
}

fn not_in_register(lang: Lang) -> String {
    match lang {
        Lang::Nb => "Ikke i organisasjonsregisteret",
        Lang::En => "Not in the organisation register",
    }
    .to_string()
}

fn no_cooperation(lang: Lang) -> String {
    match lang {
        Lang::Nb => "Ikke i et innkjøpssamarbeid",
        Lang::En => "Not in a procurement cooperation",
    }
    .to_string()
}

/// Whether a finding is one of the `parties`' (its rule's scope holds, or
/// may hold, for one of them).
pub fn is_for(plan: &Plan, scope: Option<&RecordScope>, f: &Finding, parties: PartySet) -> bool {
    scope.is_none_or(|s| s.parties_of(plan, f.rule) & parties != 0)
}

/// The findings of a record that are the `parties`'.
pub fn findings_for<'r>(plan: &Plan, r: &'r Evaluated, parties: PartySet) -> Vec<&'r Finding> {
    r.findings
        .iter()
        .filter(|f| is_for(plan, r.scope.as_deref(), f, parties))
        .collect()
}

/// One group's figures: as the summary's, for its records.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    pub overall: Breakdown,
    /// Per strategy area, as in the summary.
    pub areas: Vec<Breakdown>,
    pub rules: Vec<RuleTally>,
}

impl Tally {
    fn new(plan: &Plan) -> Tally {
        Tally {
            overall: Breakdown::default(),
            areas: vec![Breakdown::default(); plan.areas.len()],
            rules: vec![RuleTally::default(); plan.rules.len()],
        }
    }

    fn add(&mut self, plan: &Plan, r: &Evaluated, findings: &[&Finding]) {
        let mut standing = Standing {
            status: crate::finding::Status::Compliant,
            flagged: false,
            areas: vec![None; plan.areas.len()],
        };
        for f in findings {
            standing.add(plan, f);
            if let Some(t) = self.rules.get_mut(usize::from(f.rule)) {
                t.add(f.outcome, r.value);
            }
        }
        self.overall.add(standing.status, standing.flagged, r.value);
        for (area, a) in self.areas.iter_mut().zip(&standing.areas) {
            if let Some(a) = a {
                area.add(a.status, a.flagged, r.value);
            }
        }
    }
}

/// A group: a buyer, or a cooperation with its members.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Group {
    pub name: String,
    pub tally: Tally,
    /// Within a cooperation: per member key, its name and figures.
    pub members: BTreeMap<String, (String, Tally)>,
}

/// The groups of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Groups {
    pub by: GroupBy,
    /// The language of the names the report gives groups.
    pub lang: Lang,
    /// By key (a buyer's key, a cooperation's id; `-` for no cooperation).
    pub groups: BTreeMap<String, Group>,
}

impl Groups {
    pub fn new(by: GroupBy, lang: Lang) -> Groups {
        Groups {
            by,
            lang,
            groups: BTreeMap::new(),
        }
    }

    /// Count a record in each of its groups: once in a group, for the
    /// parties that put it there, and once for each member of it.
    pub fn add(&mut self, plan: &Plan, r: &Evaluated) {
        let places = places(plan, r, self.by, self.lang);
        let mut counted: Vec<&str> = Vec::new();
        for place in &places {
            if !counted.contains(&place.key.as_str()) {
                counted.push(&place.key);
                let parties = places
                    .iter()
                    .filter(|p| p.key == place.key)
                    .fold(0, |set, p| set | p.parties);
                let group = self.groups.entry(place.key.clone()).or_insert_with(|| Group {
                    name: place.name.clone(),
                    tally: Tally::new(plan),
                    members: BTreeMap::new(),
                });
                group.tally.add(plan, r, &findings_for(plan, r, parties));
            }
            if let (Some((key, name)), Some(group)) = (&place.member, self.groups.get_mut(&place.key)) {
                group
                    .members
                    .entry(key.clone())
                    .or_insert_with(|| (name.clone(), Tally::new(plan)))
                    .1
                    .add(plan, r, &findings_for(plan, r, place.parties));
            }
        }
    }

    /// The groups in the order reports show them: cooperations (or buyers)
    /// by name, then the parties whose membership is unknown, those the
    /// register does not know, and those in no cooperation.
    pub fn ordered(&self) -> Vec<(&String, &Group)> {
        let mut list: Vec<(&String, &Group)> = self.groups.iter().collect();
        list.sort_by(|a, b| (rank(a.0), &a.1.name, a.0).cmp(&(rank(b.0), &b.1.name, b.0)));
        list
    }
}

/// Where a group with `key` comes in every report: cooperations (or
/// buyers) first, by name, then the parties whose membership is unknown,
/// those the register does not know, and those in no cooperation.
pub fn rank(key: &str) -> u8 {
    match key {
        UNKNOWN_COOPERATION => 1,
        NOT_IN_REGISTER => 2,
        NO_COOPERATION => 3,
        _ => 0,
    }
}

/// The report for one member's council (`--member`): only the records the
/// member is a party to, and of those only its own findings; the findings of
/// other parties' rules become `not_applicable`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberView {
    /// The party key the member has (see [`crate::scope::Party::key`]).
    pub key: String,
    pub name: String,
}

impl MemberView {
    /// The view for `given` (a register id, an organisation number or a
    /// name); an error in words when the register does not know it.
    pub fn find(plan: &Plan, given: &str) -> Result<MemberView, String> {
        let reg = &plan.register;
        let found = match reg.authority_by_id(given) {
            Some(a) => Some(a),
            None => match reg.resolve(Some(given), Some(given), None) {
                crate::register::Resolved::Found(a) => Some(a),
                crate::register::Resolved::Ambiguous(candidates) => {
                    let ids: Vec<String> = candidates
                        .iter()
                        .map(|&a| format!("`{}` ({})", reg.authority(a).id, reg.authority(a).term.display()))
                        .collect();
                    return Err(format!(
                        "`{given}` names more than one authority of the organisation register: {}; give the id",
                        ids.join(", ")
                    ));
                }
                crate::register::Resolved::NotFound => None,
            },
        };
        match found {
            Some(a) => Ok(MemberView {
                key: reg.authority(a).id.clone(),
                name: reg.authority(a).name.clone(),
            }),
            None if reg.is_empty() => Ok(MemberView {
                // Without a register, an organisation number or a name as
                // the records write it.
                key: if given.chars().filter(char::is_ascii_digit).count() >= 6 {
                    crate::eval::normalize_id(given)
                } else {
                    crate::eval::normalize_name(given)
                },
                name: given.to_string(),
            }),
            None => {
                let ids: Vec<&str> = reg.authorities.iter().map(|a| a.id.as_str()).collect();
                let hint = crate::diag::did_you_mean(given, ids.iter().copied())
                    .map(|h| format!("; {h}"))
                    .unwrap_or_default();
                Err(format!(
                    "`{given}` is not an authority of the organisation register ({}){hint}",
                    reg.files.join(", ")
                ))
            }
        }
    }

    /// Narrow `r` to the member: `false` when the member is not a party to
    /// it (leave the record out).
    pub fn narrow(&self, plan: &Plan, r: &mut Evaluated, lang: Lang) -> bool {
        let reg = &plan.register;
        let mine: PartySet = match &r.scope {
            Some(scope) => scope
                .parties
                .iter()
                .enumerate()
                .filter(|(_, p)| p.key(reg) == self.key)
                .fold(0, |set, (i, _)| set | (1 << i)),
            None => {
                let id = r.buyer_id.as_deref().map(crate::eval::normalize_id);
                let name = r.buyer_name.as_deref().map(crate::eval::normalize_name);
                let is_me = id.as_deref() == Some(self.key.as_str()) || name.as_deref() == Some(self.key.as_str());
                if is_me { crate::scope::ALL_PARTIES } else { 0 }
            }
        };
        if mine == 0 {
            return false;
        }
        let Some(scope) = r.scope.as_deref() else { return true };
        let mut changed = false;
        for f in &mut r.findings {
            if f.outcome == Outcome::NotApplicable || scope.parties_of(plan, f.rule) & mine != 0 {
                continue;
            }
            let others = scope.names(reg, scope.parties_of(plan, f.rule)).join(", ");
            *f = Finding::new(
                f.rule,
                Outcome::NotApplicable,
                match lang {
                    Lang::Nb => format!("Ikke {}s regel: den gjelder for {others}", self.name),
                    Lang::En => format!("Not a rule of {}: it is for {others}", self.name),
                },
            );
            changed = true;
        }
        if changed {
            r.status = crate::engine::status_of(plan, &r.findings);
        }
        true
    }
}
