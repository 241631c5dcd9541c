//! Whose procurement a record is, and which policies and rules are for it.
//!
//! A record has *parties*: its buyer and, in a joint procurement, the
//! participants that take part in the agreement the buyer leads. Each party
//! is looked up once in the organisation register; then every `for` scope
//! (`for members of "…"`, `authority "…"`, `kind "…"`) is decided per party
//! on the record's date, as a bit set of the parties it holds for. A finding
//! of a scoped policy is that policy's for exactly those parties: "whose
//! rule it is".
//!
//! Three-valued like the rest of the engine: a record without a date, a
//! name that fits two authorities, or a fuzzy edge in the register leaves a
//! scope *unknown* for that party, never decided by guess.

use crate::plan::{Plan, PolicyId, RuleId, ScopePlan, ScopeTarget};
use crate::record::Record;
use crate::register::{AuthId, Belongs, Edge, Register, Resolved};
use crate::schema::{Domain, FieldSet, idx};
use crate::syntax::ast::Lang;
use chrono::NaiveDate;

/// A set of a record's parties, one bit each: the buyer is bit 0, the
/// participants follow in the record's order.
pub type PartySet = u64;
/// Every party.
pub const ALL_PARTIES: PartySet = u64::MAX;
/// The most parties a record can have; further participants are left out
/// with a warning.
pub const MAX_PARTIES: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Buyer,
    Participant,
}

/// The buyer, or a participant of a joint procurement.
#[derive(Debug, Clone, PartialEq)]
pub struct Party {
    pub role: Role,
    /// As the record gives them.
    pub id: Option<String>,
    pub name: Option<String>,
    /// The buyer's kind as the record gives it.
    pub kind: Option<u8>,
    /// Which authority of the register it is.
    pub resolved: Resolved,
}

impl Party {
    pub fn authority(&self) -> Option<AuthId> {
        match self.resolved {
            Resolved::Found(a) => Some(a),
            _ => None,
        }
    }

    /// Its name for people: the register's, else the record's name or id,
    /// else in words (`a participant without a name`).
    pub fn display(&self, register: &Register, lang: Lang) -> String {
        match self.authority() {
            Some(a) => register.authority(a).name.clone(),
            None => self.name.clone().or_else(|| self.id.clone()).unwrap_or_else(|| {
                match (self.role, lang) {
                    (Role::Buyer, Lang::En) => "a buyer without a name",
                    (Role::Buyer, Lang::Nb) => "en oppdragsgiver uten navn",
                    (Role::Participant, Lang::En) => "a participant without a name",
                    (Role::Participant, Lang::Nb) => "en deltaker uten navn",
                }
                .to_string()
            }),
        }
    }

    /// What groups a party's records together: the register's id, else the
    /// organisation number however written, else the name; `-` for none.
    pub fn key(&self, register: &Register) -> String {
        match self.authority() {
            Some(a) => register.authority(a).id.clone(),
            None => self
                .id
                .as_deref()
                .map(crate::eval::normalize_id)
                // One buyer however the records spell its name.
                .or_else(|| self.name.as_deref().map(crate::eval::normalize_name))
                .unwrap_or_else(|| "-".to_string()),
        }
    }
}

/// Whether a policy's (or rule's) scope holds for a record, per party.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decision {
    /// The parties it holds for.
    pub yes: PartySet,
    /// The parties for which it cannot be told.
    pub unknown: PartySet,
    /// Fields whose absence left it unknown.
    pub missing: FieldSet,
    /// Why, in words (empty when messages are not rendered).
    pub why: String,
}

impl Decision {
    /// `Some(true)` when it holds for some party, `None` when it holds for
    /// none but is unknown for some, `Some(false)` otherwise.
    pub fn applies(&self) -> Option<bool> {
        if self.yes != 0 {
            Some(true)
        } else if self.unknown != 0 {
            None
        } else {
            Some(false)
        }
    }

    /// The parties a finding under this scope is for.
    pub fn parties(&self) -> PartySet {
        self.yes | self.unknown
    }
}

/// Who a record's parties are, which scoped policies and rules are for it
/// and why, and what the register says about the parties.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordScope {
    pub parties: Vec<Party>,
    /// Per policy, in plan order: `None` for a policy without `for`.
    pub policies: Vec<Option<Decision>>,
    /// The rules that have a `for` of their own.
    pub rules: Vec<(RuleId, Decision)>,
    /// About the parties: not in the register, no longer existing, …
    /// (each note once, however often a party is listed).
    pub notes: Vec<String>,
    /// The language of the parties' names in words (a party without one).
    pub lang: Lang,
}

impl RecordScope {
    /// Resolve the record's parties and decide every scope; `None` when the
    /// plan has no scopes and no register (nothing to say).
    pub fn of(plan: &Plan, record: &Record, lang: Lang, messages: bool) -> Option<RecordScope> {
        if !plan.has_scopes() && plan.register.is_empty() {
            return None;
        }
        let register = &plan.register;
        let mut parties = vec![Party {
            role: Role::Buyer,
            id: record.buyer.id.clone(),
            name: record.buyer.name.clone(),
            kind: record.buyer.kind,
            resolved: register.resolve(record.buyer.id.as_deref(), record.buyer.name.as_deref(), record.date),
        }];
        for p in record.participants.iter().flatten().take(MAX_PARTIES - 1) {
            parties.push(Party {
                role: Role::Participant,
                id: p.id.clone(),
                name: p.name.clone(),
                kind: None,
                resolved: register.resolve(p.id.as_deref(), p.name.as_deref(), record.date),
            });
        }
        let words = Words { lang, messages };
        let cx = Cx {
            register,
            parties: &parties,
            date: record.date,
            words,
        };
        let policies = plan
            .policies
            .iter()
            .map(|p| p.scope.as_ref().map(|s| cx.decide(s)))
            .collect();
        let rules = plan
            .rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Some((RuleId::try_from(i).ok()?, cx.decide(r.scope.as_ref()?))))
            .collect();
        let notes = if messages && !register.is_empty() {
            cx.notes(record)
        } else {
            Vec::new()
        };
        Some(RecordScope {
            parties,
            policies,
            rules,
            notes,
            lang,
        })
    }

    /// The decision on a policy's scope, if it has one.
    pub fn policy(&self, policy: PolicyId) -> Option<&Decision> {
        self.policies.get(usize::from(policy)).and_then(Option::as_ref)
    }

    /// The decision on a rule's own scope, if it has one.
    pub fn rule(&self, rule: RuleId) -> Option<&Decision> {
        self.rules.iter().find(|(r, _)| *r == rule).map(|(_, d)| d)
    }

    /// The parties a rule's finding is for: those its policy's scope and
    /// its own hold (or may hold) for; every party for an unscoped rule.
    pub fn parties_of(&self, plan: &Plan, rule: RuleId) -> PartySet {
        let all = self.all();
        let policy = plan
            .rules
            .get(usize::from(rule))
            .and_then(|r| self.policy(r.policy))
            .map_or(all, Decision::parties);
        let own = self.rule(rule).map_or(all, Decision::parties);
        policy & own & all
    }

    /// Every party of the record.
    pub fn all(&self) -> PartySet {
        match self.parties.len() {
            n if n >= MAX_PARTIES => ALL_PARTIES,
            n => (1u64 << n) - 1,
        }
    }

    /// The parties in `set`, by name, for "whose rule it is": each once,
    /// however often the record lists it (a buyer also listed as a
    /// participant, a participant listed twice).
    pub fn names(&self, register: &Register, set: PartySet) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for (_, p) in self.parties.iter().enumerate().filter(|(i, _)| set & (1 << i) != 0) {
            let name = p.display(register, self.lang);
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names
    }
}

#[derive(Clone, Copy)]
struct Words {
    lang: Lang,
    messages: bool,
}

impl Words {
    fn t(&self, en: &str, nb: &str) -> String {
        if self.lang == Lang::Nb { nb } else { en }.to_string()
    }

    fn and(&self) -> &'static str {
        if self.lang == Lang::Nb { "og" } else { "and" }
    }
}

/// One party's answer to one target.
struct Answer {
    holds: Option<bool>,
    missing: FieldSet,
    /// Why, when messages are rendered.
    why: String,
}

struct Cx<'a> {
    register: &'a Register,
    parties: &'a [Party],
    date: Option<NaiveDate>,
    words: Words,
}

impl Cx<'_> {
    fn decide(&self, scope: &ScopePlan) -> Decision {
        let mut d = Decision::default();
        let mut yes_why = Vec::new();
        let mut no_why = Vec::new();
        let mut unknown_why = Vec::new();
        for (i, party) in self.parties.iter().enumerate() {
            let bit = 1u64 << i;
            // Any target decides: true if one holds, else unknown if one
            // cannot be told.
            let answers: Vec<Answer> = scope.targets.iter().map(|t| self.answer(party, *t)).collect();
            if let Some(a) = answers.iter().find(|a| a.holds == Some(true)) {
                d.yes |= bit;
                yes_why.push(a.why.clone());
            } else if answers.iter().any(|a| a.holds.is_none()) {
                d.unknown |= bit;
                for a in answers.iter().filter(|a| a.holds.is_none()) {
                    d.missing.union(a.missing);
                    unknown_why.push(a.why.clone());
                }
            } else if let Some(a) = answers.first() {
                // The buyer's reason is the one a reader needs.
                if party.role == Role::Buyer {
                    no_why.push(a.why.clone());
                } else if no_why.len() < 2 {
                    no_why.push(self.words.t("nor is any participant", "og heller ingen deltaker"));
                }
            }
        }
        if self.words.messages {
            let why = match d.applies() {
                Some(true) => yes_why,
                None => unknown_why,
                Some(false) => no_why,
            };
            let mut seen = Vec::new();
            for w in why {
                if !w.is_empty() && !seen.contains(&w) {
                    seen.push(w);
                }
            }
            d.why = seen.join("; ");
        }
        d
    }

    fn answer(&self, party: &Party, target: ScopeTarget) -> Answer {
        let w = self.words;
        let who = self.who(party);
        let mut missing = FieldSet::default();
        if party.id.is_none() && party.name.is_none() {
            let (id, name) = match party.role {
                Role::Buyer => ("buyer.id", "buyer.name"),
                Role::Participant => ("participants[].id", "participants[].name"),
            };
            missing.insert(crate::schema::field_by_path(id).map_or(0, |(i, _)| i));
            missing.insert(crate::schema::field_by_path(name).map_or(0, |(i, _)| i));
            return Answer {
                holds: None,
                missing,
                why: w.t(
                    "the record does not say who the buyer is",
                    "posten sier ikke hvem oppdragsgiveren er",
                ),
            };
        }
        let reg = self.register;
        let date_missing = || {
            let mut m = FieldSet::default();
            m.insert(idx("date"));
            m
        };
        match target {
            ScopeTarget::Members(coop) => {
                let c = reg.cooperation(coop);
                let Some(a) = party.authority() else {
                    let holds = if c.complete { Some(false) } else { None };
                    let why = match (&party.resolved, holds) {
                        (Resolved::Ambiguous(_), _) => {
                            missing = date_missing();
                            return Answer {
                                holds: None,
                                missing,
                                why: self.ambiguous(party),
                            };
                        }
                        (_, Some(false)) => format!(
                            "{who} {}",
                            w.t(
                                "is not in the organisation register",
                                "er ikke i organisasjonsregisteret"
                            )
                        ),
                        _ => format!(
                            "{who} {} {} {}",
                            w.t(
                                "is not in the organisation register, whose list of members of",
                                "er ikke i organisasjonsregisteret, og registerets liste over medlemmer av"
                            ),
                            c.name,
                            w.t("is incomplete", "er ufullstendig")
                        ),
                    };
                    return Answer { holds, missing, why };
                };
                match reg.belongs(coop, a, self.date) {
                    Belongs::Yes(m) => {
                        let mut why = format!("{who} {} {}", w.t("is a member of", "er medlem av"), c.name);
                        // A membership without a start of its own began
                        // with the cooperation.
                        let from = if m.term.from == Edge::Open {
                            c.term.from
                        } else {
                            m.term.from
                        };
                        match (m.via, from) {
                            (Some(pred), Edge::Day(d)) => why.push_str(&format!(
                                " {} {} {} {d}",
                                w.t("as successor of", "som etterfølger etter"),
                                reg.authority(pred).name,
                                w.t("since", "fra")
                            )),
                            (None, Edge::Day(d)) => why.push_str(&format!(" {} {d}", w.t("since", "fra"))),
                            (None, Edge::Year(y)) => why.push_str(&format!(" {} {y}", w.t("since", "fra"))),
                            _ => {}
                        }
                        Answer {
                            holds: Some(true),
                            missing,
                            why,
                        }
                    }
                    Belongs::No(m) => {
                        // The membership's own edges, else the cooperation's.
                        let effective = |t: crate::register::Term| crate::register::Term {
                            from: if t.from == Edge::Open { c.term.from } else { t.from },
                            to: if t.to == Edge::Open { c.term.to } else { t.to },
                        };
                        let why = match (m.map(|m| effective(m.term)), self.date) {
                            (Some(term), Some(date)) => format!(
                                "{} {who} {} {} ({}) {} {date}",
                                w.t("the membership of", "medlemskapet til"),
                                w.t("in", "i"),
                                c.name,
                                term.display(),
                                w.t("does not cover", "omfatter ikke"),
                            ),
                            _ => format!("{who} {} {}", w.t("is not a member of", "er ikke medlem av"), c.name),
                        };
                        Answer {
                            holds: Some(false),
                            missing,
                            why,
                        }
                    }
                    Belongs::Unknown => {
                        let why = if self.date.is_none() {
                            missing = date_missing();
                            format!(
                                "{} {who} {} {}",
                                w.t(
                                    "without the record's date it cannot be told whether",
                                    "uten postens dato kan det ikke avgjøres om"
                                ),
                                w.t("was a member of", "var medlem av"),
                                c.name
                            )
                        } else {
                            format!(
                                "{} {who} {} {} {}",
                                w.t("the register cannot tell whether", "registeret kan ikke si om"),
                                w.t("was a member of", "var medlem av"),
                                c.name,
                                w.t("on that day", "den dagen")
                            )
                        };
                        Answer {
                            holds: None,
                            missing,
                            why,
                        }
                    }
                }
            }
            ScopeTarget::Authority(target) => {
                let name = &reg.authority(target).name;
                match &party.resolved {
                    Resolved::Found(a) if *a == target => Answer {
                        holds: Some(true),
                        missing,
                        why: format!("{} {name}", self.role_is(party)),
                    },
                    Resolved::Ambiguous(list) if list.contains(&target) => Answer {
                        holds: None,
                        missing: date_missing(),
                        why: self.ambiguous(party),
                    },
                    _ => Answer {
                        holds: Some(false),
                        missing,
                        why: format!(
                            "{} {}, {} {name}",
                            self.role_is(party),
                            party.display(reg, w.lang),
                            w.t("not", "ikke")
                        ),
                    },
                }
            }
            ScopeTarget::Kind(kind) => {
                let known = party
                    .kind
                    .or_else(|| party.authority().and_then(|a| reg.authority(a).kind));
                let word = |k: u8| kind_word(k, w.lang);
                match known {
                    Some(k) => Answer {
                        holds: Some(k == kind),
                        missing,
                        why: if k == kind {
                            format!("{who} {} {}", w.t("is", "er"), word(k))
                        } else {
                            format!(
                                "{who} {} {}, {} {}",
                                w.t("is", "er"),
                                word(k),
                                w.t("not", "ikke"),
                                word(kind)
                            )
                        },
                    },
                    None => {
                        if party.role == Role::Buyer {
                            missing.insert(idx("buyer.kind"));
                        }
                        Answer {
                            holds: None,
                            missing,
                            why: format!(
                                "{} {who}",
                                w.t(
                                    "neither the record nor the register says what kind of buyer is",
                                    "verken posten eller registeret sier hva slags oppdragsgiver som er"
                                )
                            ),
                        }
                    }
                }
            }
        }
    }

    /// `Steinkjer kommune`, or `participant Verdal kommune`.
    fn who(&self, party: &Party) -> String {
        let name = party.display(self.register, self.words.lang);
        match party.role {
            Role::Buyer => name,
            Role::Participant => format!("{} {name}", self.words.t("participant", "deltaker")),
        }
    }

    /// `the buyer is`, or `a participant is`.
    fn role_is(&self, party: &Party) -> String {
        match party.role {
            Role::Buyer => self.words.t("the buyer is", "oppdragsgiveren er"),
            Role::Participant => self.words.t("a participant is", "en deltaker er"),
        }
    }

    fn ambiguous(&self, party: &Party) -> String {
        let w = self.words;
        let Resolved::Ambiguous(list) = &party.resolved else {
            return String::new();
        };
        let ids: Vec<String> = list
            .iter()
            .map(|&a| {
                let a = self.register.authority(a);
                format!("{} ({})", a.id, a.term.display())
            })
            .collect();
        format!(
            "{} {} {}",
            party.name.as_deref().or(party.id.as_deref()).unwrap_or("?"),
            w.t(
                "fits more than one authority of the register, and the record's date does not decide:",
                "passer med mer enn én oppdragsgiver i registeret, og postens dato avgjør ikke:"
            ),
            ids.join(", ")
        )
    }

    /// What the register says about the parties that a reader should know.
    fn notes(&self, record: &Record) -> Vec<String> {
        let w = self.words;
        let reg = self.register;
        let mut notes = Vec::new();
        for party in self.parties {
            let who = self.who(party);
            match &party.resolved {
                Resolved::NotFound if party.id.is_some() || party.name.is_some() => notes.push(format!(
                    "{who} {}",
                    w.t(
                        "is not in the organisation register: policies for every buyer apply, such as the national baseline; those for named authorities and cooperations do not, unless the register lists a cooperation's members only in part",
                        "er ikke i organisasjonsregisteret: policyer for alle oppdragsgivere gjelder, som de nasjonale minstekravene; de for navngitte oppdragsgivere og samarbeid gjelder ikke, med mindre registeret bare har en del av et samarbeids medlemmer"
                    )
                )),
                Resolved::Ambiguous(_) => notes.push(self.ambiguous(party)),
                Resolved::Found(a) => {
                    let auth = reg.authority(*a);
                    if let Some(date) = record.date
                        && auth.term.holds_on(date) == Some(false)
                    {
                        let mut note = format!(
                            "{who} {} {} ({} {date})",
                            w.t("existed", "eksisterte"),
                            auth.term.display(),
                            w.t("the record is dated", "posten er datert"),
                        );
                        if !auth.successors.is_empty() && matches!(auth.term.to, Edge::Day(end) if date > end) {
                            note.push_str(&format!(
                                "; {} {}",
                                w.t("its successors are", "etterfølgerne er"),
                                reg.names(&auth.successors, w.and())
                            ));
                        }
                        notes.push(note);
                    }
                }
                Resolved::NotFound => {}
            }
        }
        // A party listed many times gets its note once.
        let mut seen = std::collections::HashSet::new();
        notes.retain(|n| seen.insert(n.clone()));
        if record.participants.as_ref().is_some_and(|p| p.len() >= MAX_PARTIES) {
            notes.push(format!(
                "{} {}",
                w.t(
                    "Only the first participants are checked; the most parties a record can have is",
                    "Bare de første deltakerne er kontrollert; en post kan ha høyst"
                ),
                MAX_PARTIES
            ));
        }
        notes
    }
}

/// `a municipality`, `a county`, … for messages.
pub fn kind_word(kind: u8, lang: Lang) -> String {
    let code = Domain::BuyerKind.value(kind);
    match (code, lang) {
        ("state", Lang::En) => "a state body",
        ("county", Lang::En) => "a county",
        ("municipal", Lang::En) => "a municipality",
        ("public_body", Lang::En) => "a body governed by public law",
        ("utility", Lang::En) => "a utility",
        ("state", Lang::Nb) => "statlig",
        ("county", Lang::Nb) => "en fylkeskommune",
        ("municipal", Lang::Nb) => "en kommune",
        ("public_body", Lang::Nb) => "et offentligrettslig organ",
        ("utility", Lang::Nb) => "en forsyningsvirksomhet",
        _ => code,
    }
    .to_string()
}
