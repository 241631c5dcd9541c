//! Data coverage: for each canonical field, how many records have it. A
//! compliance figure that rests on gaps is not a compliance figure; this is
//! how a reader of the report can tell.

use crate::record::Record;
use crate::schema::FIELDS;
use std::collections::BTreeMap;

/// Counts over a set of records.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Coverage {
    pub records: u64,
    /// Per field (in [`FIELDS`] order): records that have it.
    pub present: Vec<u64>,
    /// Data-quality warnings per field path (as the readers name them).
    pub warnings: BTreeMap<String, u64>,
}

impl Coverage {
    pub fn new() -> Self {
        Coverage {
            present: vec![0; FIELDS.len()],
            ..Default::default()
        }
    }

    /// Count one record. A field of list elements (`lots[].title`) counts
    /// when the list has elements and every one of them has the field.
    pub fn add(&mut self, r: &Record) {
        self.records += 1;
        let present = r.present();
        for (i, n) in self.present.iter_mut().enumerate() {
            if present.contains(i as crate::schema::FieldIndex) {
                *n += 1;
            }
        }
        for w in &r.warnings {
            // `lots[2].title` and `lots[0].title` are one field.
            let field = strip_indices(&w.field);
            *self.warnings.entry(field).or_insert(0) += 1;
        }
    }

    /// Share of records with field `i`, in percent (one decimal).
    pub fn share(&self, i: usize) -> f64 {
        // Shares are for display only; counts stay exact.
        if self.records == 0 {
            0.0
        } else {
            (self.present[i] as f64 * 1000.0 / self.records as f64).round() / 10.0
        }
    }
}

fn strip_indices(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut skipping = false;
    for c in path.chars() {
        match c {
            '[' => {
                skipping = true;
                out.push_str("[]");
            }
            ']' => skipping = false,
            c if !skipping => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_fields_and_warnings() {
        let mut c = Coverage::new();
        let r = crate::input::canonical::parse_record(
            br#"{"id": "a", "lots": [{"id": "1", "title": "x"}, {"id": "2"}], "framework": "ja"}"#,
        )
        .unwrap();
        c.add(&r);
        let at = |p: &str| FIELDS.iter().position(|f| f.path == p).unwrap();
        assert_eq!(c.present[at("id")], 1);
        assert_eq!(c.present[at("lots")], 1);
        assert_eq!(c.present[at("lots[].id")], 1);
        assert_eq!(c.present[at("lots[].title")], 0);
        assert_eq!(c.present[at("framework")], 0);
        assert_eq!(c.warnings.get("framework"), Some(&1));
        assert_eq!(strip_indices("lots[12].title"), "lots[].title");
    }
}
