//! The explorer's grouped view and `billfold costs`: the lines of a filter grouped by any
//! dimensions, always split by currency, with exact sums — never by reading the lines: from
//! the rollups (account, member, month, service) when they answer the filter and the grouping,
//! else from the facts (resource-months). Group keys are short lists of integer codes (label
//! ids, or numbers of small texts), looked up in one hash map; texts are resolved once per
//! group at the end.

use std::collections::BTreeMap;

use rusqlite::Connection;
use rustc_hash::FxHashMap;

use super::query::{self, tag_value_text, Resolved};
use super::{rollup_rows, LineFilter};
use crate::costs::{CostGroup, GroupBy, RollupSums};
use crate::error::Result;
use crate::store::labels::Labels;

/// The lines of `filter` grouped by `group_by` (and always by currency: amounts in different
/// currencies are never added), with exact sums.
pub fn groups(
    conn: &Connection,
    filter: &LineFilter,
    group_by: &[GroupBy],
) -> Result<Vec<CostGroup>> {
    let Some(r) = query::resolve(conn, filter)? else {
        return Ok(Vec::new());
    };
    let in_rollups = |g: &GroupBy| {
        matches!(
            g,
            GroupBy::Month
                | GroupBy::Service
                | GroupBy::Account
                | GroupBy::SubAccount
                | GroupBy::Provider
        )
    };
    let groups = if r.rollup_exact() && group_by.iter().all(in_rollups) {
        let mut acc = Groups::new();
        let by_member = group_by.contains(&GroupBy::SubAccount);
        for (i, row) in rollup_rows(conn, &r, by_member)? {
            let key = group_by
                .iter()
                .map(|g| match g {
                    GroupBy::Month => Some(row.month.clone()),
                    GroupBy::Service => Some(row.service.clone()),
                    GroupBy::Account => Some(r.accounts[i].id.clone()),
                    GroupBy::SubAccount => Some(row.sub_account.clone()).filter(|s| !s.is_empty()),
                    _ => Some(r.accounts[i].provider.clone()),
                })
                .collect();
            acc.entry((key, row.currency))
                .or_default()
                .add(&row.sums, 1)?;
        }
        acc
    } else {
        let mut g = Grouper::new(conn, &r, group_by);
        for f in query::facts(conn, &r)? {
            let l = |i: usize| (f.labels[i] != 0).then_some(f.labels[i]);
            let dims = Dims {
                service: l(0),
                sub_account: l(1),
                resource: l(2),
                region: l(3),
                category: l(4),
                tags: l(7),
            };
            g.add(f.account, &f.month, &dims, &f.currency, &f.sums.sums)?;
        }
        g.finish()?
    };
    Ok(groups
        .into_iter()
        .map(|((key, currency), s)| CostGroup {
            keys: group_by.iter().map(GroupBy::name).zip(key).collect(),
            currency,
            billed_cost: s.billed,
            effective_cost: s.effective,
            list_cost: s.list,
            net_cost: s.net,
            lines: s.lines,
        })
        .collect())
}

type Groups = BTreeMap<(Vec<Option<String>>, String), RollupSums>;

/// The label ids a group key may use.
pub(crate) struct Dims {
    pub service: Option<i64>,
    pub sub_account: Option<i64>,
    pub resource: Option<i64>,
    pub region: Option<i64>,
    pub category: Option<i64>,
    pub tags: Option<i64>,
}

/// What a group key's code stands for when a dimension has no value.
const NO_VALUE: u64 = u64::MAX;

/// Small texts (months, currencies, providers, tag values) numbered as they come.
#[derive(Default)]
struct Codes {
    index: FxHashMap<String, u64>,
    texts: Vec<String>,
}

impl Codes {
    fn code(&mut self, t: &str) -> u64 {
        if let Some(&c) = self.index.get(t) {
            return c;
        }
        let c = self.texts.len() as u64;
        self.texts.push(t.to_string());
        self.index.insert(t.to_string(), c);
        c
    }
}

/// Sums by group key, the key made of integer codes.
struct Grouper<'a> {
    conn: &'a Connection,
    r: &'a Resolved,
    group_by: &'a [GroupBy],
    months: Codes,
    providers: Codes,
    currencies: Codes,
    tag_values: Codes,
    /// (tags label, tag key's position) → tag value code
    tag_cache: FxHashMap<(i64, usize), u64>,
    index: FxHashMap<Box<[u64]>, usize>,
    keys: Vec<Box<[u64]>>,
    sums: Vec<RollupSums>,
    buf: Vec<u64>,
    labels: Labels,
}

impl<'a> Grouper<'a> {
    fn new(conn: &'a Connection, r: &'a Resolved, group_by: &'a [GroupBy]) -> Self {
        Grouper {
            conn,
            r,
            group_by,
            months: Codes::default(),
            providers: Codes::default(),
            currencies: Codes::default(),
            tag_values: Codes::default(),
            tag_cache: FxHashMap::default(),
            index: FxHashMap::default(),
            keys: Vec::new(),
            sums: Vec::new(),
            buf: Vec::with_capacity(group_by.len() + 1),
            labels: Labels::default(),
        }
    }

    fn add(
        &mut self,
        account: usize,
        month: &str,
        d: &Dims,
        currency: &str,
        sums: &RollupSums,
    ) -> Result<()> {
        let label = |v: Option<i64>| v.map_or(NO_VALUE, |v| v as u64);
        self.buf.clear();
        let mut tag_n = 0;
        for g in self.group_by {
            let code = match g {
                GroupBy::Month => self.months.code(month),
                GroupBy::Service => label(d.service),
                GroupBy::SubAccount => label(d.sub_account),
                GroupBy::Region => label(d.region),
                GroupBy::Category => label(d.category),
                GroupBy::Resource => label(d.resource),
                GroupBy::Account => account as u64,
                GroupBy::Provider => self.providers.code(&self.r.accounts[account].provider),
                GroupBy::Tag(key) => {
                    let k = tag_n;
                    tag_n += 1;
                    match d.tags {
                        None => NO_VALUE,
                        Some(t) => match self.tag_cache.get(&(t, k)) {
                            Some(&c) => c,
                            None => {
                                let json = self.labels.text(self.conn, t)?;
                                let value = serde_json::from_str::<serde_json::Value>(&json)
                                    .ok()
                                    .and_then(|v| v.get(key).map(tag_value_text));
                                let c = value.map_or(NO_VALUE, |v| self.tag_values.code(&v));
                                self.tag_cache.insert((t, k), c);
                                c
                            }
                        },
                    }
                }
            };
            self.buf.push(code);
        }
        self.buf.push(self.currencies.code(currency));
        let i = match self.index.get(self.buf.as_slice()) {
            Some(&i) => i,
            None => {
                let key: Box<[u64]> = self.buf.clone().into_boxed_slice();
                self.index.insert(key.clone(), self.sums.len());
                self.keys.push(key);
                self.sums.push(RollupSums::default());
                self.sums.len() - 1
            }
        };
        self.sums[i].add(sums, 1)
    }

    fn finish(mut self) -> Result<Groups> {
        let mut out = Groups::new();
        for (key, s) in std::mem::take(&mut self.keys)
            .into_iter()
            .zip(std::mem::take(&mut self.sums))
        {
            let mut texts = Vec::with_capacity(self.group_by.len());
            for (g, &code) in self.group_by.iter().zip(key.iter()) {
                let t = if code == NO_VALUE {
                    None
                } else {
                    Some(match g {
                        GroupBy::Month => self.months.texts[code as usize].clone(),
                        GroupBy::Account => self.r.accounts[code as usize].id.clone(),
                        GroupBy::Provider => self.providers.texts[code as usize].clone(),
                        GroupBy::Tag(_) => self.tag_values.texts[code as usize].clone(),
                        _ => self.labels.text(self.conn, code as i64)?.to_string(),
                    })
                };
                texts.push(t);
            }
            let currency = self.currencies.texts[key[self.group_by.len()] as usize].clone();
            out.entry((texts, currency)).or_default().add(&s, 1)?;
        }
        Ok(out)
    }
}
