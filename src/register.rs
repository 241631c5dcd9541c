//! The organisation register: public authorities, the procurement
//! cooperations they belong to (and when), and who succeeded whom.
//!
//! A register is one or more TOML files (`policies/org/*.toml`, described in
//! `docs/register.md`). It is read and checked once, when the policies load,
//! into compact tables: authorities and cooperations are addressed by small
//! integer ids, membership periods are dates, and the only string lookup a
//! record costs is one hash lookup of its buyer's organisation number (or
//! name) — done once per party, not per rule.
//!
//! The register records what its maintainer knows and no more: a start or an
//! end may be a day, only a year (`2002`), or `"unknown"`, and a membership
//! on a day inside such a fuzzy edge is *unknown*, not assumed.

use crate::diag::{Diagnostic, FileId, did_you_mean};
use crate::schema::Domain;
use crate::syntax::ast::Span;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use std::collections::HashMap;
use toml::Spanned;

pub type AuthId = u16;
pub type CoopId = u16;

/// One end of a period as far as the register knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// No start (or no end) is recorded: it reaches as far as records go.
    Open,
    /// This day (a start: the first day; an end: the last day).
    Day(NaiveDate),
    /// Some day in this year.
    Year(i32),
    /// It started (or ended) at some time the register does not know.
    Unknown,
}

impl Edge {
    fn show(&self) -> String {
        match self {
            Edge::Open => String::new(),
            Edge::Day(d) => d.to_string(),
            Edge::Year(y) => y.to_string(),
            Edge::Unknown => "?".to_string(),
        }
    }
}

/// When something held: from one edge to the other, both days included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    pub from: Edge,
    pub to: Edge,
}

impl Term {
    pub const ALWAYS: Term = Term {
        from: Edge::Open,
        to: Edge::Open,
    };

    /// Whether it held on `day`: `None` when `day` falls where the register
    /// does not know (a fuzzy edge).
    pub fn holds_on(&self, day: NaiveDate) -> Option<bool> {
        let started = match self.from {
            Edge::Open => Some(true),
            Edge::Day(d) => Some(day >= d),
            Edge::Year(y) if day.year() == y => None,
            Edge::Year(y) => Some(day.year() > y),
            Edge::Unknown => None,
        };
        let ended = match self.to {
            Edge::Open => Some(false),
            Edge::Day(d) => Some(day > d),
            Edge::Year(y) if day.year() == y => None,
            Edge::Year(y) => Some(day.year() > y),
            Edge::Unknown => None,
        };
        match (started, ended) {
            (Some(false), _) | (_, Some(true)) => Some(false),
            (Some(true), Some(false)) => Some(true),
            _ => None,
        }
    }

    /// Whether it holds on every day: no edge at all.
    pub fn is_always(&self) -> bool {
        self.from == Edge::Open && self.to == Edge::Open
    }

    /// `2019-01-01 –`, `1996 – 2019-12-31`, `? – 2018-06-30`.
    pub fn display(&self) -> String {
        match (self.from, self.to) {
            (Edge::Open, Edge::Open) => "–".to_string(),
            (from, Edge::Open) => format!("{} –", from.show()),
            (Edge::Open, to) => format!("– {}", to.show()),
            (from, to) => format!("{} – {}", from.show(), to.show()),
        }
    }
}

/// A public authority: a municipality, a county, a state agency, …
#[derive(Debug, Clone)]
pub struct Authority {
    /// The register's id, used in policies: `steinkjer`.
    pub id: String,
    pub name: String,
    /// Other names records use for it.
    pub aliases: Vec<String>,
    /// The organisation number as digits, where the register gives one.
    pub org_number: Option<String>,
    /// Its code in [`Domain::BuyerKind`], where known.
    pub kind: Option<u8>,
    /// When it existed.
    pub term: Term,
    /// Who took over when it ceased.
    pub successors: Vec<AuthId>,
}

/// A procurement cooperation and its members over time.
#[derive(Debug, Clone)]
pub struct Cooperation {
    pub id: String,
    pub name: String,
    /// The host authority (vertskommune), where there is one.
    pub host: Option<AuthId>,
    pub term: Term,
    /// Every membership, given and inherited, in the register's order.
    pub members: Vec<Membership>,
    /// `false` when the register knows the cooperation has members it does
    /// not list: an authority not listed is then not known to be outside.
    pub complete: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub authority: AuthId,
    pub term: Term,
    /// The authority it inherited this membership from, when it is the
    /// single successor of a member that ceased (a merger).
    pub via: Option<AuthId>,
}

/// Whether an authority belonged to a cooperation on a day, and on what
/// grounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Belongs {
    /// A member by this membership.
    Yes(Membership),
    /// Not a member; a membership that did not hold on the day, if any.
    No(Option<Membership>),
    /// The register cannot tell: a fuzzy edge, a record without a date, or
    /// an incomplete member list.
    Unknown,
}

/// Which authority of the register a record's party is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    Found(AuthId),
    /// Neither the organisation number nor the name is in the register.
    NotFound,
    /// The name fits more than one authority and the date does not decide.
    Ambiguous(Vec<AuthId>),
}

/// Every authority and cooperation of the loaded register files.
#[derive(Debug, Clone, Default)]
pub struct Register {
    pub authorities: Vec<Authority>,
    pub cooperations: Vec<Cooperation>,
    /// The files it was read from, as shown to people.
    pub files: Vec<String>,
    by_org: HashMap<String, Vec<AuthId>>,
    by_name: HashMap<String, Vec<AuthId>>,
}

impl Register {
    pub fn is_empty(&self) -> bool {
        self.authorities.is_empty() && self.cooperations.is_empty()
    }

    pub fn authority(&self, id: AuthId) -> &Authority {
        &self.authorities[usize::from(id)]
    }

    pub fn cooperation(&self, id: CoopId) -> &Cooperation {
        &self.cooperations[usize::from(id)]
    }

    pub fn authority_by_id(&self, id: &str) -> Option<AuthId> {
        self.authorities
            .iter()
            .position(|a| a.id == id)
            .and_then(|i| AuthId::try_from(i).ok())
    }

    pub fn cooperation_by_id(&self, id: &str) -> Option<CoopId> {
        self.cooperations
            .iter()
            .position(|c| c.id == id)
            .and_then(|i| CoopId::try_from(i).ok())
    }

    /// The authority a party is: by organisation number where the register
    /// has one, else by name (or alias); the date decides between
    /// authorities of one name (the old and the new Buskerud county).
    pub fn resolve(&self, org: Option<&str>, name: Option<&str>, date: Option<NaiveDate>) -> Resolved {
        let org = org.map(crate::eval::normalize_id).filter(|o| !o.is_empty());
        if let Some(found) = org.as_deref().and_then(|o| self.by_org.get(o)) {
            return self.by_date(found, date);
        }
        let Some(name) = name.map(crate::eval::normalize_name).filter(|n| !n.is_empty()) else {
            return Resolved::NotFound;
        };
        let Some(named) = self.by_name.get(&name) else {
            return Resolved::NotFound;
        };
        // A record's organisation number rules out an authority the
        // register knows by another number.
        let fits: Vec<AuthId> = named
            .iter()
            .copied()
            .filter(|&a| match (&self.authority(a).org_number, &org) {
                (Some(known), Some(given)) => known == given,
                _ => true,
            })
            .collect();
        if fits.is_empty() {
            return Resolved::NotFound;
        }
        self.by_date(&fits, date)
    }

    fn by_date(&self, candidates: &[AuthId], date: Option<NaiveDate>) -> Resolved {
        if let [only] = candidates {
            return Resolved::Found(*only);
        }
        let Some(date) = date else {
            return Resolved::Ambiguous(candidates.to_vec());
        };
        let existing: Vec<AuthId> = candidates
            .iter()
            .copied()
            .filter(|&a| self.authority(a).term.holds_on(date) != Some(false))
            .collect();
        match existing.as_slice() {
            [one] => Resolved::Found(*one),
            _ => Resolved::Ambiguous(candidates.to_vec()),
        }
    }

    /// Whether `authority` belonged to `coop` on `date`.
    pub fn belongs(&self, coop: CoopId, authority: AuthId, date: Option<NaiveDate>) -> Belongs {
        let c = self.cooperation(coop);
        let mut unknown = false;
        let mut outside = None;
        for m in c.members.iter().filter(|m| m.authority == authority) {
            let Some(date) = date else {
                // Without a date only a membership without edges decides.
                if m.term.is_always() && c.term.is_always() && self.authority(authority).term.is_always() {
                    return Belongs::Yes(m.clone());
                }
                unknown = true;
                continue;
            };
            let terms = [m.term, c.term, self.authority(authority).term];
            match terms
                .iter()
                .map(|t| t.holds_on(date))
                .try_fold(true, |all, h| h.map(|h| all && h))
            {
                Some(true) => return Belongs::Yes(m.clone()),
                Some(false) => outside = outside.or(Some(m.clone())),
                None => unknown = true,
            }
        }
        // An incomplete member list (`members_complete = false`) lacks
        // authorities the register does not know; one it knows is a member
        // only where it is listed; otherwise every authority of the
        // register would be a possible member of every such cooperation.
        if unknown {
            Belongs::Unknown
        } else {
            Belongs::No(outside)
        }
    }

    /// The cooperations `authority` belonged to on `date`.
    pub fn cooperations_of(&self, authority: AuthId, date: Option<NaiveDate>) -> Vec<CoopId> {
        (0..self.cooperations.len())
            .filter_map(|i| CoopId::try_from(i).ok())
            .filter(|&c| matches!(self.belongs(c, authority, date), Belongs::Yes(_)))
            .collect()
    }

    /// The names of authorities, for messages: `A, B and C`.
    pub fn names(&self, ids: &[AuthId], and: &str) -> String {
        let names: Vec<&str> = ids.iter().map(|&a| self.authority(a).name.as_str()).collect();
        match names.as_slice() {
            [] => String::new(),
            [one] => one.to_string(),
            [init @ .., last] => format!("{} {and} {last}", init.join(", ")),
        }
    }
}

// ------------------------------------------------------------------ reading

/// A register file as read: its id in the source map, its name for people.
pub struct RegisterFile {
    pub file: FileId,
    pub display: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    #[serde(default)]
    authority: Vec<AuthoritySpec>,
    #[serde(default)]
    cooperation: Vec<CooperationSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthoritySpec {
    id: Spanned<String>,
    name: Spanned<String>,
    #[serde(default)]
    aliases: Vec<Spanned<String>>,
    org_number: Option<Spanned<String>>,
    kind: Option<Spanned<String>>,
    from: Option<Spanned<toml::Value>>,
    to: Option<Spanned<toml::Value>>,
    #[serde(default)]
    successors: Vec<Spanned<String>>,
    #[allow(dead_code, reason = "for people: where the facts come from")]
    source: Option<String>,
    #[allow(dead_code, reason = "for people")]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CooperationSpec {
    id: Spanned<String>,
    name: Spanned<String>,
    host: Option<Spanned<String>>,
    from: Option<Spanned<toml::Value>>,
    to: Option<Spanned<toml::Value>>,
    #[serde(default)]
    members: Vec<MemberSpec>,
    members_complete: Option<bool>,
    #[allow(dead_code, reason = "for people: where the facts come from")]
    source: Option<String>,
    #[allow(dead_code, reason = "for people")]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberSpec {
    authority: Spanned<String>,
    from: Option<Spanned<toml::Value>>,
    to: Option<Spanned<toml::Value>>,
    #[allow(dead_code, reason = "for people: where the facts come from")]
    source: Option<String>,
    #[allow(dead_code, reason = "for people")]
    note: Option<String>,
}

fn span<T>(s: &Spanned<T>) -> Span {
    let r = s.span();
    Span::new(r.start, r.end)
}

/// Whether `id` is a register id: lower-case letters, digits and `-`,
/// starting with a letter.
fn valid_id(id: &str) -> bool {
    id.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

struct Builder {
    diags: Vec<Diagnostic>,
    register: Register,
    /// Where each authority and cooperation was defined.
    auth_at: Vec<(FileId, Span)>,
    coop_at: Vec<(FileId, Span)>,
}

/// Read and check the register files; the register and the problems found.
pub fn build(files: &[RegisterFile], sources: &crate::diag::SourceMap) -> (Register, Vec<Diagnostic>) {
    let mut b = Builder {
        diags: Vec::new(),
        register: Register::default(),
        auth_at: Vec::new(),
        coop_at: Vec::new(),
    };
    let mut specs = Vec::new();
    for f in files {
        b.register.files.push(f.display.clone());
        match toml::from_str::<FileSpec>(sources.text(f.file)) {
            Ok(spec) => specs.push((f.file, spec)),
            Err(e) => {
                let mut d = Diagnostic::error(format!("`{}` is not a valid register file: {}", f.display, e.message()));
                if let Some(r) = e.span() {
                    d = d.at(f.file, Span::new(r.start, r.end), "here");
                }
                b.diags
                    .push(d.help("the register format is described in docs/register.md"));
            }
        }
    }
    // Authorities first, in every file, so that cooperations and
    // successors may name authorities of any file.
    for (file, spec) in &specs {
        for a in &spec.authority {
            b.authority(*file, a);
        }
    }
    for (file, spec) in &specs {
        for a in &spec.authority {
            b.successors(*file, a);
        }
    }
    for (file, spec) in &specs {
        for c in &spec.cooperation {
            b.cooperation(*file, c);
        }
    }
    b.inherit();
    b.index();
    (b.register, b.diags)
}

impl Builder {
    fn error(&mut self, file: FileId, span: Span, message: impl Into<String>, label: &str) -> Diagnostic {
        Diagnostic::error(message).at(file, span, label)
    }

    fn id(&mut self, file: FileId, id: &Spanned<String>, what: &str) -> bool {
        if valid_id(id.get_ref()) {
            return true;
        }
        let d = self
            .error(
                file,
                span(id),
                format!("`{}` is not a register id", id.get_ref()),
                "here",
            )
            .help(format!(
                "{} id is written in lower-case letters, digits and `-`, e.g. `innherred-innkjop`",
                crate::diag::indefinite(what)
            ));
        self.diags.push(d);
        false
    }

    /// Whether `id` is a register id not given before (`first` is where
    /// it was, if it was).
    fn fresh(
        &mut self,
        file: FileId,
        id: &Spanned<String>,
        first: Option<(FileId, Span)>,
        thing: &str,
        things: &str,
    ) -> bool {
        if !self.id(file, id, thing) {
            return false;
        }
        let Some((ffile, fspan)) = first else { return true };
        let d = self
            .error(
                file,
                span(id),
                format!("two {things} have the id `{}`", id.get_ref()),
                "second",
            )
            .also(ffile, fspan, "first")
            .help(format!("give each {thing} its own id"));
        self.diags.push(d);
        false
    }

    fn authority(&mut self, file: FileId, a: &AuthoritySpec) {
        let first = self
            .register
            .authority_by_id(a.id.get_ref())
            .map(|i| self.auth_at[usize::from(i)]);
        if !self.fresh(file, &a.id, first, "authority", "authorities") {
            return;
        }
        let kind = a.kind.as_ref().and_then(|k| {
            let code = Domain::BuyerKind.code(k.get_ref());
            if code.is_none() {
                let values = Domain::BuyerKind.values();
                let help = did_you_mean(k.get_ref(), values.iter().copied())
                    .unwrap_or_else(|| format!("the kinds are: {}", values.join(", ")));
                let d = self
                    .error(
                        file,
                        span(k),
                        format!("`{}` is not a buyer kind", k.get_ref()),
                        "not a buyer kind",
                    )
                    .help(help);
                self.diags.push(d);
            }
            code
        });
        let org_number = a.org_number.as_ref().and_then(|o| {
            let digits = crate::eval::normalize_id(o.get_ref());
            if digits.len() >= 6 && digits.chars().all(|c| c.is_ascii_digit()) {
                Some(digits)
            } else {
                let d = self
                    .error(
                        file,
                        span(o),
                        format!("`{}` is not an organisation number", o.get_ref()),
                        "here",
                    )
                    .help("write the digits, e.g. \"921693230\"; leave `org_number` out when it is not known");
                self.diags.push(d);
                None
            }
        });
        let term = self.term(file, a.from.as_ref(), a.to.as_ref());
        if !a.successors.is_empty() && !matches!(term.to, Edge::Day(_)) {
            let d = self
                .error(
                    file,
                    span(&a.id),
                    format!("`{}` has successors but no last day", a.id.get_ref()),
                    "here",
                )
                .help("add `to = YYYY-MM-DD`, the last day it existed; its successors take over the day after");
            self.diags.push(d);
        }
        self.register.authorities.push(Authority {
            id: a.id.get_ref().clone(),
            name: a.name.get_ref().clone(),
            aliases: a.aliases.iter().map(|s| s.get_ref().clone()).collect(),
            org_number,
            kind,
            term,
            successors: Vec::new(),
        });
        self.auth_at.push((file, span(&a.id)));
    }

    fn successors(&mut self, file: FileId, a: &AuthoritySpec) {
        let Some(me) = self.register.authority_by_id(a.id.get_ref()) else {
            return;
        };
        if self.auth_at[usize::from(me)].0 != file {
            return;
        }
        let mut list = Vec::new();
        for s in &a.successors {
            if let Some(id) = self.lookup_authority(file, s) {
                list.push(id);
            }
        }
        self.register.authorities[usize::from(me)].successors = list;
    }

    fn lookup_authority(&mut self, file: FileId, name: &Spanned<String>) -> Option<AuthId> {
        if let Some(id) = self.register.authority_by_id(name.get_ref()) {
            return Some(id);
        }
        let known: Vec<&str> = self.register.authorities.iter().map(|a| a.id.as_str()).collect();
        // Someone may write the name instead of the id.
        let by_name = self
            .register
            .authorities
            .iter()
            .find(|a| crate::eval::normalize_name(&a.name) == crate::eval::normalize_name(name.get_ref()))
            .map(|a| format!("the authority named \"{}\" has the id `{}`", a.name, a.id));
        let help = by_name
            .or_else(|| did_you_mean(name.get_ref(), known.iter().copied()))
            .unwrap_or_else(|| "add it as an `[[authority]]` in a register file".to_string());
        let d = self
            .error(
                file,
                span(name),
                format!("no authority `{}` in the register", name.get_ref()),
                "not an authority id",
            )
            .help(help);
        self.diags.push(d);
        None
    }

    fn cooperation(&mut self, file: FileId, c: &CooperationSpec) {
        let first = self
            .register
            .cooperation_by_id(c.id.get_ref())
            .map(|i| self.coop_at[usize::from(i)]);
        if !self.fresh(file, &c.id, first, "cooperation", "cooperations") {
            return;
        }
        let host = c.host.as_ref().and_then(|h| self.lookup_authority(file, h));
        let term = self.term(file, c.from.as_ref(), c.to.as_ref());
        let mut members = Vec::new();
        for m in &c.members {
            let Some(authority) = self.lookup_authority(file, &m.authority) else {
                continue;
            };
            // A membership without dates of its own lasts as long as the
            // cooperation does.
            let term = self.term(file, m.from.as_ref(), m.to.as_ref());
            members.push(Membership {
                authority,
                term,
                via: None,
            });
        }
        self.register.cooperations.push(Cooperation {
            id: c.id.get_ref().clone(),
            name: c.name.get_ref().clone(),
            host,
            term,
            members,
            complete: c.members_complete.unwrap_or(true),
        });
        self.coop_at.push((file, span(&c.id)));
    }

    fn edge(&mut self, file: FileId, v: &Spanned<toml::Value>) -> Edge {
        let bad = |b: &mut Self| {
            let d = b
                .error(file, span(v), "expected a date, a year or \"unknown\"", "here")
                .help("write a day as 2019-01-01, a year alone as 2002, or \"unknown\"; leave it out when there is no such edge");
            b.diags.push(d);
            Edge::Unknown
        };
        match v.get_ref() {
            toml::Value::Datetime(dt) => match (dt.date, dt.time) {
                (Some(d), None) => NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
                    .map_or_else(|| bad(self), Edge::Day),
                _ => bad(self),
            },
            toml::Value::Integer(y) if (1000..=9999).contains(y) => Edge::Year(*y as i32),
            toml::Value::String(s) if s == "unknown" => Edge::Unknown,
            _ => bad(self),
        }
    }

    fn term(&mut self, file: FileId, from: Option<&Spanned<toml::Value>>, to: Option<&Spanned<toml::Value>>) -> Term {
        let from_edge = from.map_or(Edge::Open, |v| self.edge(file, v));
        let to_edge = to.map_or(Edge::Open, |v| self.edge(file, v));
        let first = |e: Edge| match e {
            Edge::Day(d) => Some(d),
            Edge::Year(y) => NaiveDate::from_ymd_opt(y, 1, 1),
            _ => None,
        };
        let last = |e: Edge| match e {
            Edge::Day(d) => Some(d),
            Edge::Year(y) => NaiveDate::from_ymd_opt(y, 12, 31),
            _ => None,
        };
        if let (Some(f), Some(t), Some(to)) = (first(from_edge), last(to_edge), to)
            && t < f
        {
            let d = self
                .error(
                    file,
                    span(to),
                    format!(
                        "the period ends ({}) before it starts ({})",
                        to_edge.show(),
                        from_edge.show()
                    ),
                    "here",
                )
                .help("`to` is the last day; both ends are included");
            self.diags.push(d);
        }
        Term {
            from: from_edge,
            to: to_edge,
        }
    }

    /// Memberships pass to the single successor of a member that ceased
    /// (a merger takes over what the merged authorities had). After a
    /// split the register cannot know which part took over, so nothing
    /// passes: list the membership of the successor that did.
    fn inherit(&mut self) {
        let reg = &mut self.register;
        for c in &mut reg.cooperations {
            let mut i = 0;
            // Each pass can only add memberships of later successors, and an
            // authority's end is before its successor's start, so this ends.
            while i < c.members.len() && c.members.len() < 10_000 {
                let m = c.members[i].clone();
                i += 1;
                let a = &reg.authorities[usize::from(m.authority)];
                let (Edge::Day(end), [successor]) = (a.term.to, a.successors.as_slice()) else {
                    continue;
                };
                // A membership whose end the register does not know may
                // have lasted until the merger: the successor's is unknown
                // too (it keeps the unknown end).
                let still = match m.term.to {
                    Edge::Open | Edge::Unknown => true,
                    Edge::Day(d) => d > end,
                    Edge::Year(y) => y > end.year(),
                };
                let Some(next) = end.succ_opt() else { continue };
                if still
                    && !c
                        .members
                        .iter()
                        .any(|x| x.authority == *successor && x.via == Some(m.authority))
                {
                    c.members.push(Membership {
                        authority: *successor,
                        term: Term {
                            from: Edge::Day(next),
                            to: m.term.to,
                        },
                        via: Some(m.authority),
                    });
                }
            }
        }
    }

    fn index(&mut self) {
        let reg = &mut self.register;
        for (i, a) in reg.authorities.iter().enumerate() {
            let Ok(id) = AuthId::try_from(i) else { continue };
            if let Some(org) = &a.org_number {
                reg.by_org.entry(org.clone()).or_default().push(id);
            }
            for name in std::iter::once(&a.name).chain(&a.aliases) {
                let list = reg.by_name.entry(crate::eval::normalize_name(name)).or_default();
                if !list.contains(&id) {
                    list.push(id);
                }
            }
        }
        // One organisation number belongs to one authority at a time.
        let mut dup = Vec::new();
        for ids in reg.by_org.values() {
            for (x, &a) in ids.iter().enumerate() {
                for &b in &ids[x + 1..] {
                    dup.push((a, b));
                }
            }
        }
        dup.sort_unstable();
        for (a, b) in dup {
            let (af, aspan) = self.auth_at[usize::from(a)];
            let (bf, bspan) = self.auth_at[usize::from(b)];
            let org = self.register.authority(a).org_number.clone().unwrap_or_default();
            let d = Diagnostic::error(format!("two authorities have the organisation number {org}"))
                .at(bf, bspan, "second")
                .also(af, aspan, "first")
                .help("an organisation number names one authority; a successor has its own");
            self.diags.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::SourceMap;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn register(text: &str) -> (Register, Vec<Diagnostic>, SourceMap) {
        let mut sources = SourceMap::new();
        let file = sources.add("org.toml", text);
        let files = [RegisterFile {
            file,
            display: "org.toml".into(),
        }];
        let (r, d) = build(&files, &sources);
        (r, d, sources)
    }

    const BTV: &str = r#"
[[authority]]
id = "buskerud-fk-before-2020"
name = "Buskerud fylkeskommune"
kind = "county"
to = 2019-12-31
successors = ["viken"]

[[authority]]
id = "telemark-fk"
name = "Telemark fylkeskommune"
to = 2019-12-31

[[authority]]
id = "viken"
name = "Viken fylkeskommune"
org_number = "NO 921 693 230 MVA"
from = 2020-01-01
to = 2023-12-31
successors = ["akershus-fk", "buskerud-fk"]

[[authority]]
id = "akershus-fk"
name = "Akershus fylkeskommune"
from = 2024-01-01

[[authority]]
id = "buskerud-fk"
name = "Buskerud fylkeskommune"
from = 2024-01-01

[[cooperation]]
id = "btv"
name = "BTV"
from = 2002
members = [
  { authority = "buskerud-fk-before-2020" },
  { authority = "telemark-fk", to = 2018-06-30 },
]
"#;

    #[test]
    fn membership_periods_joined_left_and_merged() {
        let (r, d, _) = register(BTV);
        assert!(d.is_empty(), "{d:?}");
        let btv = r.cooperation_by_id("btv").expect("btv");
        let telemark = r.authority_by_id("telemark-fk").expect("telemark");
        let viken = r.authority_by_id("viken").expect("viken");
        let akershus = r.authority_by_id("akershus-fk").expect("akershus");
        // Joined in 2002, day unknown: unknown during 2002, a member after.
        assert_eq!(r.belongs(btv, telemark, Some(day("2002-06-01"))), Belongs::Unknown);
        assert!(matches!(
            r.belongs(btv, telemark, Some(day("2018-06-30"))),
            Belongs::Yes(_)
        ));
        // Left on 1 July 2018: the last day was 30 June.
        assert!(matches!(
            r.belongs(btv, telemark, Some(day("2018-09-01"))),
            Belongs::No(Some(_))
        ));
        // Buskerud merged into Viken, which took over the membership...
        match r.belongs(btv, viken, Some(day("2021-05-01"))) {
            Belongs::Yes(m) => assert_eq!(m.via, r.authority_by_id("buskerud-fk-before-2020")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(r.belongs(btv, viken, Some(day("2019-05-01"))), Belongs::No(_)));
        // ...and Viken was split: nothing passes on by itself.
        assert!(matches!(
            r.belongs(btv, akershus, Some(day("2024-05-01"))),
            Belongs::No(None)
        ));
        assert!(matches!(r.belongs(btv, viken, None), Belongs::Unknown));
    }

    #[test]
    fn a_membership_whose_end_is_unknown_passes_an_unknown_one_to_the_successor() {
        let (r, d, _) = register(
            r#"
[[authority]]
id = "old"
name = "Gammel kommune"
to = 2021-12-31
successors = ["new"]

[[authority]]
id = "new"
name = "Ny kommune"
from = 2022-01-01

[[cooperation]]
id = "c"
name = "C"
members = [{ authority = "old", to = "unknown" }]
"#,
        );
        assert!(d.is_empty(), "{d:?}");
        let c = r.cooperation_by_id("c").expect("c");
        let new = r.authority_by_id("new").expect("new");
        // It may have lasted until the merger, or not: unknown, not "no".
        assert_eq!(r.belongs(c, new, Some(day("2022-03-01"))), Belongs::Unknown);
        assert!(matches!(r.belongs(c, new, Some(day("2021-03-01"))), Belongs::No(_)));
    }

    #[test]
    fn an_incomplete_member_list_makes_no_known_authority_a_possible_member() {
        let (r, d, _) = register(
            r#"
[[authority]]
id = "gone"
name = "Borte kommune"
to = 2019-12-31

[[authority]]
id = "here"
name = "Her kommune"

[[authority]]
id = "left"
name = "Ute kommune"

[[cooperation]]
id = "c"
name = "C"
members_complete = false
members = [{ authority = "left", to = 2018-06-30 }]
"#,
        );
        assert!(d.is_empty(), "{d:?}");
        let c = r.cooperation_by_id("c").expect("c");
        let id = |a| r.authority_by_id(a).expect("authority");
        // The members the register lacks are authorities it does not know:
        // one it knows is outside unless listed, also when it did not exist
        // or its listed membership had ended.
        assert!(matches!(
            r.belongs(c, id("here"), Some(day("2022-03-01"))),
            Belongs::No(None)
        ));
        assert!(matches!(
            r.belongs(c, id("gone"), Some(day("2022-03-01"))),
            Belongs::No(_)
        ));
        assert!(matches!(
            r.belongs(c, id("left"), Some(day("2022-03-01"))),
            Belongs::No(Some(_))
        ));
    }

    #[test]
    fn parties_resolve_by_number_then_name_and_date() {
        let (r, _, _) = register(BTV);
        let viken = r.authority_by_id("viken");
        assert_eq!(
            r.resolve(Some("921693230"), None, None),
            Resolved::Found(viken.unwrap_or(0))
        );
        assert_eq!(
            r.resolve(None, Some("VIKEN FYLKESKOMMUNE"), None),
            Resolved::Found(viken.unwrap_or(0))
        );
        // A known number that differs rules the name out.
        assert_eq!(
            r.resolve(Some("999888777"), Some("Viken fylkeskommune"), None),
            Resolved::NotFound
        );
        // Two Buskerud counties: the date picks one.
        let old = r.authority_by_id("buskerud-fk-before-2020").unwrap_or(0);
        let new = r.authority_by_id("buskerud-fk").unwrap_or(0);
        assert_eq!(
            r.resolve(None, Some("Buskerud fylkeskommune"), Some(day("2010-01-01"))),
            Resolved::Found(old)
        );
        assert_eq!(
            r.resolve(
                Some("944 000 111"),
                Some("Buskerud fylkeskommune"),
                Some(day("2024-02-01"))
            ),
            Resolved::Found(new)
        );
        assert!(matches!(
            r.resolve(None, Some("Buskerud fylkeskommune"), None),
            Resolved::Ambiguous(_)
        ));
        assert_eq!(r.resolve(None, Some("Trondheim kommune"), None), Resolved::NotFound);
    }

    #[test]
    fn mistakes_point_at_the_spot_with_a_hint() {
        let (_, d, sources) = register(
            r#"
[[authority]]
id = "steinkjer"
name = "Steinkjer kommune"
kind = "municipality"

[[cooperation]]
id = "innherred"
name = "Innherred innkjøp"
from = "2019"
members = [{ authority = "steinkjr" }]
"#,
        );
        let text = crate::diag::render_all(&d, &sources);
        assert!(text.contains("`municipality` is not a buyer kind"), "{text}");
        assert!(text.contains("did you mean `municipal`?"), "{text}");
        assert!(text.contains("expected a date, a year or \"unknown\""), "{text}");
        assert!(text.contains("no authority `steinkjr` in the register"), "{text}");
        assert!(text.contains("did you mean `steinkjer`?"), "{text}");
        assert!(text.contains("org.toml:11:"), "{text}");
        let (_, d, sources) = register("[[authority]]\nid = \"a\"\nnmae = \"x\"\n");
        let text = crate::diag::render_all(&d, &sources);
        assert!(text.contains("org.toml:3:1"), "{text}");
    }

    #[test]
    fn terms_with_fuzzy_edges() {
        let t = Term {
            from: Edge::Unknown,
            to: Edge::Day(day("2010-12-31")),
        };
        assert_eq!(t.holds_on(day("2011-01-01")), Some(false));
        assert_eq!(t.holds_on(day("2005-01-01")), None);
        assert_eq!(t.display(), "? – 2010-12-31");
        assert_eq!(Term::ALWAYS.holds_on(day("1900-01-01")), Some(true));
    }
}
