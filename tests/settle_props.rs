//! Property tests of `--settle` over re-exports of a month (docs/IMPORT.md §11): "the earlier
//! settlements are reversed, posting by posting, then the month is settled as this export says,
//! on the balances that leaves: it ends where this export alone would have put it, whatever came
//! before."
//!
//! - `a_month_ends_where_its_last_export_alone_puts_it` (128 cases): a prepaid Tencent (CNY) or
//!   Huawei (USD) account with cash, maybe a regular voucher, complimentary credit and (Huawei)
//!   a prepaid card, none expiring during the test, imports with `--settle`, an hour apart, 2–5
//!   files of 2024-09, then maybe 1–4 of 2024-10. Each export has 1–3 services of 1–2 lines
//!   with non-negative amounts (an export may keep some services' lines from the one before
//!   and change others); a line states its split in some of the header's payment columns
//!   (all of its amount, or part of it: the rest goes in the deduction order, the kinds named
//!   last), or leaves the cells empty (the deduction order); Huawei lines may state a part
//!   left owed (in the last month only: FINDING 1). An export may say what the one before
//!   said, under other bytes (nothing to settle), and a month's last file may be an earlier
//!   export's bytes again (`reimported`). A second ledger with the same purses imports only
//!   each month's last file, at the last time. Both must refuse each month's last file alike
//!   (then the case is rejected: its split cannot be paid), and end with the same balances
//!   (overview), the same balance in every book, and the same net settlement per (month,
//!   service) (`bill_settlements`: settlements minus reversals, every column), whose billed
//!   amounts are the last exports'.
//! - `settling_later_or_again_ends_where_settling_once_does` (96 cases): the same sequences,
//!   each file imported with `--settle`; or with it twice (the second is `already_imported`
//!   and posts nothing); or first without it, then again with it (`settled_if_asked`); or
//!   (never a month's last) without it only. A second ledger imports every file once with
//!   `--settle`: both refuse alike, and after each file the first ledger settled they are in
//!   the same state. At the end each month's last file is imported once more with `--settle`:
//!   `already_imported`, nothing settled, no entry, the same state.
//!
//! What the generators leave out, and why:
//! - Negative amounts (refunds) and stated parts beyond the billed amount (given back to
//!   cash): a refund an earlier export put on a purse spent since is taken back from what
//!   the purse holds, then from cash, the rest owed (§11), so where the month ends depends on
//!   what was spent meanwhile, and a later stated part can be refused for it.
//! - Expiring vouchers and cards: what a reversal gives back to an instrument expired since
//!   lapses at once (§11), and an export that says what the one before said is not settled
//!   again, even when what paid it has expired since.
//! - Stated parts of a kind of purse the account does not hold: refused whatever came before.
//! - Months interleaved: a month is settled at the time of its import, in the deduction order
//!   on the balances of that time ("one deduction per (account, month, service) of the file,
//!   at the time of the import"), so the order of two months' imports decides which purses
//!   each takes; here all of 2024-09 comes before 2024-10.
//! - FINDING 2, fixed (`a_newer_export_keeping_a_service_unchanged_*`): an export that kept
//!   some services unchanged and changed others left the unchanged ones' settlements in force,
//!   so the changed ones settled on balances those still held: other purses than the export
//!   alone took, or a stated split refused. A month with any service changed is now settled
//!   again whole; the generators make such exports, and found it again when the fix was
//!   undone (the seeds in `settle_props.proptest-regressions`).
//! - FINDING 1 (`cash_given_back_by_a_reversal_*`, ignored): a part an export states left
//!   owed (Huawei arrears) while cash is held, still owed when another settlement is reversed:
//!   the cash the reversal gives back repays it, where the last export alone leaves it owed
//!   beside the cash (the same net; and a stated cash part can then be refused where the
//!   export alone is not). Here only the case's last month states a part left owed (within a
//!   month, a reversal forgives it as well); the properties found it from a first month's.

use std::cell::Cell;
use std::collections::BTreeMap;

use billfold::accounts::{self, NewAccount, PaymentMode};
use billfold::import::{self, FileReport, Format, Options};
use billfold::ledger::journal::{books, BookKind};
use billfold::ledger::{self, NewVoucher, TopUpMethod, VoucherKind};
use billfold::money::Currency;
use billfold::overview::{overview, Scope};
use billfold::{store, time};
use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use rusqlite::Connection;
use rust_decimal::Decimal;

fn t(s: &str) -> DateTime<Utc> {
    time::parse(s).unwrap()
}

fn cents(c: i64) -> Decimal {
    Decimal::new(c, 2)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Provider {
    Tencent,
    Huawei,
}

impl Provider {
    fn account(self) -> &'static str {
        match self {
            Provider::Tencent => "100000000001",
            Provider::Huawei => "hw1",
        }
    }

    fn services(self) -> [&'static str; 3] {
        match self {
            Provider::Tencent => ["云服务器CVM", "云数据库MySQL", "对象存储COS"],
            Provider::Huawei => ["ECS", "RDS", "OBS"],
        }
    }

    /// The payment columns, in the order of `Line::cells`: Tencent vouchers, complimentary
    /// credit, cash; Huawei vouchers (代金券), prepaid cards, cash, arrears.
    fn columns(self) -> &'static [&'static str] {
        match self {
            Provider::Tencent => &["代金券支出(元)", "赠送账户支出(元)", "现金账户支出(元)"],
            Provider::Huawei => &[
                "Cash Coupon Deduction ($)",
                "Stored-Value Card Deduction ($)",
                "Cash Payment ($)",
                "Amount in Arrears ($)",
            ],
        }
    }
}

/// What the account holds before any import, in cents.
#[derive(Debug, Clone)]
struct Purses {
    cash: i64,
    voucher: Option<i64>,
    complimentary: Option<i64>,
    /// Huawei only (Tencent exports name no card column).
    card: Option<i64>,
}

/// One line: what it billed, and per payment column the amount it states (`None`: an empty
/// cell, or a column the header does not have).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    billed: i64,
    cells: Vec<Option<i64>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Export {
    /// Which payment columns the header has.
    columns: Vec<bool>,
    /// (service index, its lines), in file order.
    services: Vec<(usize, Vec<Line>)>,
}

#[derive(Debug, Clone)]
struct Month {
    exports: Vec<Export>,
    /// Import an earlier export's bytes again last (index into `exports`).
    repeat: Option<usize>,
}

#[derive(Debug, Clone)]
struct Case {
    provider: Provider,
    purses: Purses,
    months: Vec<Month>,
}

const MONTHS: [&str; 2] = ["2024-09", "2024-10"];

/// A line's raw form: billed, and either no split (`None`) or per column an optional weight
/// and whether the stated parts cover all of it.
type RawLine = (i64, Option<(Vec<Option<u8>>, bool)>);

fn raw_line(kinds: usize) -> impl Strategy<Value = RawLine> {
    let weights = prop::collection::vec(prop::option::weighted(0.7, 0u8..=4), kinds);
    (
        0i64..=2500,
        prop_oneof![
            1 => Just(None),
            2 => (weights, any::<bool>()).prop_map(Some),
        ],
    )
}

/// The cells of a line under `columns`: the billed amount split by the weights of the columns
/// the header has (the last stated one takes the rounding, and all the rest when `cover`),
/// never more than billed.
fn cells(columns: &[bool], (billed, split): &RawLine) -> Line {
    let mut cells = vec![None; columns.len()];
    if let Some((weights, cover)) = split {
        let stated: Vec<(usize, u8)> = weights
            .iter()
            .enumerate()
            .filter(|(i, w)| columns[*i] && w.is_some())
            .map(|(i, w)| (i, w.unwrap()))
            .collect();
        let sum: i64 = stated.iter().map(|(_, w)| *w as i64).sum();
        let denom = if *cover { sum } else { sum + 2 };
        let mut given = 0;
        for (n, (i, w)) in stated.iter().enumerate() {
            let part = if *cover && n + 1 == stated.len() {
                billed - given
            } else if denom == 0 {
                0
            } else {
                billed * *w as i64 / denom
            };
            given += part;
            cells[*i] = Some(part);
        }
    }
    Line {
        billed: *billed,
        cells,
    }
}

/// An export's raw form: header columns, per service (present, its 1–2 lines, whether it keeps
/// the export before's lines for it), the rotation of the services' order in the file, and
/// whether it says all that the export before said (the same lines under other bytes).
type RawExport = (Vec<bool>, Vec<(bool, Vec<RawLine>, bool)>, usize, bool);

fn raw_export(kinds: usize) -> impl Strategy<Value = RawExport> {
    (
        prop::collection::vec(prop::bool::weighted(0.75), kinds),
        prop::collection::vec(
            (
                prop::bool::weighted(0.7),
                prop::collection::vec(raw_line(kinds), 1..=2),
                prop::bool::weighted(0.3),
            ),
            3,
        ),
        0usize..3,
        prop::bool::weighted(0.2),
    )
}

/// Turns raw exports into a month's exports. An export may keep all of the one before, or the
/// lines of some of its services while it changes others (FINDING 2, fixed): then it keeps the
/// header's payment columns too, which its kept lines' cells are written for.
fn exports(raw: Vec<RawExport>) -> Vec<Export> {
    let mut out: Vec<Export> = Vec::new();
    for (columns, services, rotate, same) in raw {
        if let (true, Some(prev)) = (same, out.last()) {
            out.push(prev.clone());
            continue;
        }
        let kept = |s: usize| -> Option<Vec<Line>> {
            let prev = out.last()?;
            if !services[s].2 {
                return None;
            }
            prev.services
                .iter()
                .find(|(p, _)| *p == s)
                .map(|(_, l)| l.clone())
        };
        let keeps = (0..services.len()).any(|s| kept(s).is_some());
        let columns = match out.last() {
            Some(prev) if keeps => prev.columns.clone(),
            _ => columns,
        };
        let mut present: Vec<(usize, Vec<Line>)> = services
            .iter()
            .enumerate()
            .filter_map(|(s, (here, lines, _))| match kept(s) {
                Some(lines) => Some((s, lines)),
                None if *here => Some((s, lines.iter().map(|l| cells(&columns, l)).collect())),
                None => None,
            })
            .collect();
        if present.is_empty() {
            present.push((
                0,
                services[0].1.iter().map(|l| cells(&columns, l)).collect(),
            ));
        }
        let n = present.len();
        present.rotate_left(rotate % n);
        out.push(Export {
            columns,
            services: present,
        });
    }
    out
}

fn month(kinds: usize, n: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = Month> {
    (
        prop::collection::vec(raw_export(kinds), n),
        prop::option::weighted(0.25, 0usize..8),
    )
        .prop_map(|(raw, repeat)| {
            let exports = exports(raw);
            let repeat = repeat.map(|r| r % exports.len());
            Month { exports, repeat }
        })
}

fn case() -> impl Strategy<Value = Case> {
    prop_oneof![Just(Provider::Tencent), Just(Provider::Huawei)].prop_flat_map(|provider| {
        let kinds = provider.columns().len();
        let card = if provider == Provider::Huawei {
            // Sold in multiples of 100.
            prop::option::weighted(0.5, (1i64..=2).prop_map(|h| h * 10_000)).boxed()
        } else {
            Just(None).boxed()
        };
        (
            0i64..=60_000,
            prop::option::weighted(0.6, 1i64..=20_000),
            prop::option::weighted(0.5, 1i64..=5_000),
            card,
            month(kinds, 1..=4),
            prop::option::weighted(0.4, month(kinds, 1..=3)),
        )
            .prop_map(move |(cash, voucher, complimentary, card, first, second)| {
                let mut months: Vec<Month> = std::iter::once(first).chain(second).collect();
                // Splits name only the kinds of purse the account holds (arrears always):
                // a part its purses cannot pay is refused, whatever came before.
                let held = match provider {
                    Provider::Tencent => vec![voucher.is_some(), complimentary.is_some(), cash > 0],
                    Provider::Huawei => vec![voucher.is_some(), card.is_some(), cash > 0, true],
                };
                // A part left owed (Huawei's arrears) only in the last month: owed while
                // the next month is settled again, a reversal's cash repays it (FINDING 1).
                let n = months.len();
                for (m, month) in months.iter_mut().enumerate() {
                    let mut held = held.clone();
                    if provider == Provider::Huawei && m + 1 < n {
                        held[3] = false;
                    }
                    for e in month.exports.iter_mut() {
                        for l in e.services.iter_mut().flat_map(|(_, ls)| ls.iter_mut()) {
                            for (cell, held) in l.cells.iter_mut().zip(&held) {
                                if !held {
                                    *cell = None;
                                }
                            }
                        }
                    }
                }
                let first = &mut months[0];
                // At least two exports of the first month, or one and a repeat.
                if first.exports.len() == 1 && first.repeat.is_none() {
                    // The same lines under other bytes (another transaction id).
                    first.exports.push(first.exports[0].clone());
                }
                Case {
                    provider,
                    purses: Purses {
                        cash,
                        voucher,
                        complimentary,
                        card,
                    },
                    months,
                }
            })
    })
}

/// The bytes of export `id` (its transaction or order ids make them its own) of `month`.
fn bytes(provider: Provider, month: &str, id: &str, e: &Export) -> Vec<u8> {
    let names = provider.services();
    let mut s = match provider {
        Provider::Tencent => {
            String::from("支付者UIN,使用者UIN,产品名称,交易类型,交易ID,扣费时间,优惠后总价")
        }
        Provider::Huawei => String::from(
            "Billing Cycle,Account Name,Service Type,Billing Mode,Order ID,Expenditure Time,Amount Due ($)",
        ),
    };
    for (c, name) in provider.columns().iter().enumerate() {
        if e.columns[c] {
            s.push(',');
            s.push_str(name);
        }
    }
    s.push('\n');
    let mut n = 0;
    for (service, lines) in &e.services {
        for l in lines {
            n += 1;
            let svc = names[*service];
            let billed = cents(l.billed);
            match provider {
                Provider::Tencent => s.push_str(&format!(
                    "100000000001,100000000001,{svc},按量计费小时结,{id}-{n},{month}-02 01:00:00,{billed}"
                )),
                Provider::Huawei => s.push_str(&format!(
                    "{month},hw1,{svc},Pay-per-use,{id}-{n},{month}-02 00:00:00 GMT+08:00 ~ {month}-02 01:00:00 GMT+08:00,{billed}"
                )),
            }
            for (c, cell) in l.cells.iter().enumerate() {
                if e.columns[c] {
                    s.push(',');
                    match cell {
                        Some(x) => s.push_str(&cents(*x).to_string()),
                        None => s.push('-'),
                    }
                }
            }
            s.push('\n');
        }
    }
    s.into_bytes()
}

/// A file to import: its name and bytes, the month and the export it is.
#[derive(Debug, Clone)]
struct File {
    name: String,
    bytes: Vec<u8>,
    month: usize,
    export: usize,
}

/// The files of each month in import order: its exports, then the repeat, if any.
fn files(case: &Case) -> Vec<Vec<File>> {
    case.months
        .iter()
        .enumerate()
        .map(|(m, month)| {
            let file = |k: usize| File {
                name: format!("m{m}-e{k}.csv"),
                bytes: bytes(
                    case.provider,
                    MONTHS[m],
                    &format!("T{m}{k}"),
                    &month.exports[k],
                ),
                month: m,
                export: k,
            };
            let mut out: Vec<File> = (0..month.exports.len()).map(file).collect();
            out.extend(month.repeat.map(file));
            out
        })
        .collect()
}

/// A prepaid account of the case's provider with its purses, none expiring before 2027.
fn ledger(case: &Case) -> Connection {
    let p = &case.purses;
    let a = case.provider.account();
    let mut c = store::open_in_memory().unwrap();
    let (provider, currency) = match case.provider {
        Provider::Tencent => ("Tencent Cloud", "CNY"),
        Provider::Huawei => ("Huawei Cloud", "USD"),
    };
    let new = NewAccount {
        id: a.into(),
        provider: provider.into(),
        currency: Currency::parse(currency).unwrap(),
        mode: PaymentMode::Prepaid,
        name: None,
        org: None,
    };
    accounts::add_account(&c, &new, t("2024-01-01")).unwrap();
    let at = t("2024-01-02");
    let topup = p.cash + p.card.unwrap_or(0);
    if topup > 0 {
        ledger::topup(&mut c, a, cents(topup), TopUpMethod::Online, at, None).unwrap();
    }
    if let Some(v) = p.voucher {
        let v = NewVoucher {
            amount: cents(v),
            kind: VoucherKind::Regular,
            expires: t("2027-01-01"),
            products: None,
            number: None,
        };
        ledger::add_voucher(&mut c, a, &v, at, None).unwrap();
    }
    if let Some(g) = p.complimentary {
        ledger::grant(&mut c, a, cents(g), BookKind::Complimentary, at, None).unwrap();
    }
    if let Some(card) = p.card {
        let until = Some(t("2027-01-01"));
        ledger::buy_card(&mut c, a, cents(card), until, t("2024-01-03"), None).unwrap();
    }
    c
}

fn import(
    c: &mut Connection,
    f: &File,
    at: DateTime<Utc>,
    settle: bool,
) -> Result<FileReport, billfold::Error> {
    let opts = Options {
        format: Format::Auto,
        at,
        progress: false,
        settle,
        currency: None,
        expect_sha256: None,
    };
    import::import_bytes(c, &f.name, &f.bytes, &opts)
}

/// Everything the property compares: the overview's balances and invoiceable amount, every
/// book's balance, and the net of the settlements per (month, service).
#[derive(Debug, Clone, PartialEq, Eq)]
struct State {
    /// cash, vouchers, complimentary, prepaid cards, arrears, available, withdrawable.
    balances: [Decimal; 7],
    /// Cash paid and not yet invoiced: a reversal's cash given back repaying other arrears is
    /// not cash paid (found by black-box testing: 0.1 more after a replacement).
    invoiceable: Decimal,
    /// (kind, label) → balance (zero balances left out).
    books: BTreeMap<(String, String), Decimal>,
    /// (month, service) → billed, coupon, voucher, complimentary, card, cash, arrears, revenue
    /// (settlements minus reversals; groups that net to nothing left out).
    settled: BTreeMap<(String, String), [Decimal; 8]>,
}

fn state(c: &Connection, account: &str, at: DateTime<Utc>) -> State {
    let o = overview(c, &Scope::Account(account.into()), at, 6).unwrap();
    let b = &o.currencies[0].balances;
    let balances = [
        b.cash,
        b.vouchers,
        b.complimentary,
        b.prepaid_cards,
        b.arrears,
        b.available,
        b.withdrawable,
    ];
    let mut by_book = BTreeMap::new();
    for bk in books(c, &[account.to_string()], None).unwrap() {
        if !bk.balance.is_zero() {
            let label = bk.label.clone().unwrap_or_default();
            *by_book
                .entry((bk.kind.as_str().to_string(), label))
                .or_insert(Decimal::ZERO) += bk.balance;
        }
    }
    let mut stmt = c
        .prepare(
            "SELECT month, service, billed, coupon, voucher, complimentary, card, cash, arrears,
                    revenue
             FROM bill_settlements WHERE account_id = ?1",
        )
        .unwrap();
    let mut settled: BTreeMap<(String, String), [Decimal; 8]> = BTreeMap::new();
    let rows = stmt
        .query_map([account], |r| {
            let mut v = [Decimal::ZERO; 8];
            for (i, x) in v.iter_mut().enumerate() {
                *x = r.get::<_, String>(i + 2)?.parse().unwrap();
            }
            Ok(((r.get(0)?, r.get(1)?), v))
        })
        .unwrap();
    for row in rows {
        let (k, v) = row.unwrap();
        let sum = settled.entry(k).or_insert([Decimal::ZERO; 8]);
        for (s, x) in sum.iter_mut().zip(v) {
            *s += x;
        }
    }
    settled.retain(|_, v| v.iter().any(|x| !x.is_zero()));
    State {
        balances,
        invoiceable: o.currencies[0].invoiceable,
        books: by_book,
        settled,
    }
}

/// The billed total per (month, service) of the exports in force (services of zero left out).
fn billed_of(case: &Case, last: &[&File]) -> BTreeMap<(String, String), Decimal> {
    let mut out = BTreeMap::new();
    for f in last {
        for (s, lines) in &case.months[f.month].exports[f.export].services {
            let total: i64 = lines.iter().map(|l| l.billed).sum();
            if total != 0 {
                let key = (
                    MONTHS[f.month].to_string(),
                    case.provider.services()[*s].to_string(),
                );
                *out.entry(key).or_insert(Decimal::ZERO) += cents(total);
            }
        }
    }
    out
}

/// A case in short: the purses, then each month's exports (a service's lines as billed, and
/// per payment column of the header the amount stated or `-`).
fn show(case: &Case) -> String {
    let p = &case.purses;
    let mut s = format!(
        "{:?}: cash {}, voucher {:?}, complimentary {:?}, card {:?}\n",
        case.provider,
        cents(p.cash),
        p.voucher.map(cents),
        p.complimentary.map(cents),
        p.card.map(cents)
    );
    let columns = case.provider.columns();
    for (m, month) in case.months.iter().enumerate() {
        for (k, e) in month.exports.iter().enumerate() {
            let head: Vec<&str> = (0..columns.len())
                .filter(|c| e.columns[*c])
                .map(|c| columns[c])
                .collect();
            s += &format!("  {} export {k} [{}]:", MONTHS[m], head.join(", "));
            for (svc, lines) in &e.services {
                s += &format!(" {}", case.provider.services()[*svc]);
                for l in lines {
                    let cells: Vec<String> = (0..columns.len())
                        .filter(|c| e.columns[*c])
                        .map(|c| l.cells[c].map_or("-".into(), |x| cents(x).to_string()))
                        .collect();
                    s += &format!(" {}({})", cents(l.billed), cells.join(","));
                }
                s += ";";
            }
            s += "\n";
        }
        if let Some(r) = month.repeat {
            s += &format!("  {} export {r} again\n", MONTHS[m]);
        }
    }
    s
}

fn t0() -> DateTime<Utc> {
    t("2025-06-01")
}

/// How the cases went, for the report printed at the end.
#[derive(Default)]
struct Counts {
    cases: Cell<u32>,
    imports: Cell<u32>,
    refused_along_the_way: Cell<u32>,
    rejected_last_refused: Cell<u32>,
    /// Groups settled again over an earlier settlement (reversed first).
    replaced: Cell<u32>,
    reimported: Cell<u32>,
    already_imported: Cell<u32>,
}

impl Counts {
    fn bump(c: &Cell<u32>) {
        c.set(c.get() + 1);
    }

    /// Counts an import's outcome: `true` when it was not refused.
    fn import(&self, r: &Result<FileReport, billfold::Error>) -> bool {
        Counts::bump(&self.imports);
        match r {
            Ok(r) => {
                match r.status.as_str() {
                    "reimported" => Counts::bump(&self.reimported),
                    "already_imported" => Counts::bump(&self.already_imported),
                    _ => {}
                }
                if let Some(st) = &r.settlement {
                    let n = st.settled.iter().filter(|g| g.replaced.is_some()).count();
                    self.replaced.set(self.replaced.get() + n as u32);
                }
                true
            }
            Err(_) => false,
        }
    }

    fn report(&self) -> String {
        format!(
            "{} cases run ({} imports: {} refused along the way, {} reimported, {} already \
             imported; {} groups settled over an earlier settlement), {} rejected (a month's \
             last export's split could not be paid)",
            self.cases.get(),
            self.imports.get(),
            self.refused_along_the_way.get(),
            self.reimported.get(),
            self.already_imported.get(),
            self.replaced.get(),
            self.rejected_last_refused.get(),
        )
    }
}

fn entries(c: &Connection) -> i64 {
    c.query_row("SELECT COUNT(*) FROM entries", [], |r| r.get(0))
        .unwrap()
}

/// Imports each month's files into `a` with `--settle` at increasing times, and each month's
/// last file alone into a fresh ledger at the last time: both must end in the same state.
fn month_ends_where_its_last_export_puts_it(case: &Case, n: &Counts) -> Result<(), TestCaseError> {
    Counts::bump(&n.cases);
    let account = case.provider.account();
    let files = files(case);
    let mut a = ledger(case);
    let mut at = t0();
    // Per month: how its last file went (the refusal's message).
    let mut last_a: Vec<Result<(), String>> = Vec::new();
    for month in &files {
        let mut went = Ok(());
        for f in month {
            at += Duration::hours(1);
            let r = import(&mut a, f, at, true);
            if !n.import(&r) {
                Counts::bump(&n.refused_along_the_way);
            }
            went = r.map(|_| ()).map_err(|e| e.message);
        }
        last_a.push(went);
    }
    let end = at;
    let mut b = ledger(case);
    let mut last = Vec::new();
    for (m, month) in files.iter().enumerate() {
        let f = month.last().unwrap();
        let rb = import(&mut b, f, end, true);
        n.import(&rb);
        let rb = rb.map(|_| ()).map_err(|e| e.message);
        // The last export is refused by both ledgers or by neither: a split the purses cannot
        // pay is refused whatever came before (§11: "never refused for money an earlier
        // settlement had taken").
        prop_assert_eq!(
            last_a[m].is_ok(),
            rb.is_ok(),
            "month {}: the last export refused in one ledger only: {:?} / alone: {:?}",
            MONTHS[m],
            &last_a[m],
            &rb
        );
        if rb.is_err() {
            Counts::bump(&n.rejected_last_refused);
            return Err(TestCaseError::reject(
                "the last export's split cannot be paid (refused in both ledgers)",
            ));
        }
        last.push(f);
    }
    let after = end + Duration::days(1);
    let (sa, sb) = (state(&a, account, after), state(&b, account, after));
    prop_assert_eq!(
        &sa,
        &sb,
        "after the whole sequence vs the last exports alone"
    );
    let billed: BTreeMap<_, _> = sa.settled.iter().map(|(k, v)| (k.clone(), v[0])).collect();
    prop_assert_eq!(billed, billed_of(case, &last));
    Ok(())
}

/// How a file is imported in the second property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// With `--settle`.
    Settle,
    /// With `--settle`, then again with it: the second adds nothing.
    SettleTwice,
    /// Without `--settle`, then again with it (`settled_if_asked`).
    PlainThenSettle,
    /// Without `--settle` only (never a month's last file: taken as `Settle` there).
    Plain,
}

fn mode() -> impl Strategy<Value = Mode> {
    prop_oneof![
        Just(Mode::Settle),
        Just(Mode::SettleTwice),
        Just(Mode::PlainThenSettle),
        Just(Mode::Plain),
    ]
}

/// Imports each file as its mode says into `a`, and with `--settle` into `c`: after each
/// file `a` settled, both are in the same state; a file settled twice, or each month's last
/// file imported once more with `--settle` at the end, posts nothing.
fn settling_later_or_again_is_settling_once(
    (case, modes): &(Case, Vec<Mode>),
    n: &Counts,
) -> Result<(), TestCaseError> {
    Counts::bump(&n.cases);
    let account = case.provider.account();
    let files = files(case);
    let (mut a, mut c) = (ledger(case), ledger(case));
    let mut at = t0();
    let mut modes = modes.iter().cycle();
    for month in &files {
        for (i, f) in month.iter().enumerate() {
            at += Duration::hours(1);
            let mut mode = *modes.next().unwrap();
            let last = i + 1 == month.len();
            if last && mode == Mode::Plain {
                mode = Mode::Settle;
            }
            let rc = import(&mut c, f, at, true);
            n.import(&rc);
            if mode == Mode::Plain || mode == Mode::PlainThenSettle {
                let plain = import(&mut a, f, at, false);
                n.import(&plain);
                prop_assert!(plain.is_ok(), "{:?}", plain.err().map(|e| e.message));
                if mode == Mode::Plain {
                    continue;
                }
            }
            let ra = import(&mut a, f, at, true);
            n.import(&ra);
            prop_assert_eq!(
                ra.is_ok(),
                rc.is_ok(),
                "{} ({:?}) refused in one ledger only: {:?} / {:?}",
                &f.name,
                mode,
                ra.as_ref().err().map(|e| &e.message),
                rc.as_ref().err().map(|e| &e.message)
            );
            let Ok(ra) = ra else {
                Counts::bump(&n.refused_along_the_way);
                if last {
                    Counts::bump(&n.rejected_last_refused);
                    return Err(TestCaseError::reject(
                        "the last export's split cannot be paid (refused in both ledgers)",
                    ));
                }
                continue;
            };
            if mode == Mode::PlainThenSettle {
                prop_assert_eq!(ra.status.as_str(), "already_imported");
                prop_assert!(ra.settlement.is_some());
            }
            let (sa, sc) = (state(&a, account, at), state(&c, account, at));
            prop_assert_eq!(&sa, &sc, "after {} ({:?})", &f.name, mode);
            if mode == Mode::SettleTwice {
                let count = entries(&a);
                let again = import(&mut a, f, at, true);
                n.import(&again);
                assert_adds_nothing(&a, account, at, again, &sa, count)?;
            }
        }
    }
    // Each month's last file once more, with --settle: nothing is posted.
    for month in &files {
        let f = month.last().unwrap();
        at += Duration::hours(1);
        let (s, count) = (state(&a, account, at), entries(&a));
        let again = import(&mut a, f, at, true);
        n.import(&again);
        assert_adds_nothing(&a, account, at, again, &s, count)?;
    }
    Ok(())
}

/// `again` (the same bytes imported again with `--settle`) was accepted as already imported,
/// settled nothing, posted no entry and left `account` in state `was`.
fn assert_adds_nothing(
    c: &Connection,
    account: &str,
    at: DateTime<Utc>,
    again: Result<FileReport, billfold::Error>,
    was: &State,
    entries_before: i64,
) -> Result<(), TestCaseError> {
    let again = again.map_err(|e| TestCaseError::fail(e.message))?;
    prop_assert_eq!(again.status.as_str(), "already_imported");
    let settled = again.settlement.map(|s| s.settled).unwrap_or_default();
    prop_assert!(settled.is_empty(), "settled again: {:?}", settled);
    prop_assert_eq!(entries(c), entries_before);
    prop_assert_eq!(&state(c, account, at), was);
    Ok(())
}

/// Runs `test` on `cases` cases of `strategy` (failures are kept in
/// `tests/settle_props.proptest-regressions`), and prints how they went (`--nocapture`).
fn run<S: Strategy>(
    name: &str,
    cases: u32,
    strategy: S,
    show: impl Fn(&S::Value) -> String,
    test: impl Fn(&S::Value, &Counts) -> Result<(), TestCaseError>,
) {
    // PROPTEST_CASES=2000 for a longer run.
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    let config = Config {
        cases,
        max_global_rejects: cases * 4,
        max_shrink_iters: 8192,
        source_file: Some(file!()),
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let n = Counts::default();
    let started = std::time::Instant::now();
    let result = runner.run(&strategy, |v| test(&v, &n));
    eprintln!("{name}: {}, in {:.1?}", n.report(), started.elapsed());
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, v)) => panic!("{name}: {why}\nminimal case: {}", show(&v)),
        Err(TestError::Abort(why)) => panic!("{name}: aborted: {why}"),
    }
}

#[test]
fn a_month_ends_where_its_last_export_alone_puts_it() {
    run(
        "a_month_ends_where_its_last_export_alone_puts_it",
        128,
        case(),
        show,
        month_ends_where_its_last_export_puts_it,
    );
}

#[test]
fn settling_later_or_again_ends_where_settling_once_does() {
    run(
        "settling_later_or_again_ends_where_settling_once_does",
        96,
        (case(), prop::collection::vec(mode(), 1..=10)),
        |(case, modes)| format!("{}  modes, in turn: {modes:?}", show(case)),
        settling_later_or_again_is_settling_once,
    );
}

// Plain reproductions of what the properties found.

fn settle(c: &mut Connection, name: &str, text: &str, at: &str) -> Result<FileReport, String> {
    let f = File {
        name: name.into(),
        bytes: text.as_bytes().to_vec(),
        month: 0,
        export: 0,
    };
    import(c, &f, t(at), true).map_err(|e| e.message)
}

/// A Chinese-site Tencent bill of account 100000000001, 2024-09, stating vouchers and cash:
/// lines `(service, billed, voucher, cash)` (`-`: an empty cell).
fn tencent_bill(id: &str, lines: &[(&str, &str, &str, &str)]) -> String {
    let mut s = String::from(
        "支付者UIN,使用者UIN,产品名称,交易类型,交易ID,扣费时间,优惠后总价,代金券支出(元),现金账户支出(元)\n",
    );
    for (n, (service, billed, voucher, cash)) in lines.iter().enumerate() {
        s += &format!(
            "100000000001,100000000001,{service},按量计费小时结,{id}-{n},2024-09-02 01:00:00,{billed},{voucher},{cash}\n"
        );
    }
    s
}

/// Tencent, cash 100 and a voucher of 10 (to 2027).
fn voucher_and_cash() -> Case {
    Case {
        provider: Provider::Tencent,
        purses: Purses {
            cash: 10_000,
            voucher: Some(1_000),
            complimentary: None,
            card: None,
        },
        months: Vec::new(),
    }
}

fn vouchers_cash_arrears(c: &Connection, account: &str) -> (Decimal, Decimal, Decimal) {
    let s = state(c, account, t("2025-06-03"));
    (s.balances[1], s.balances[0], s.balances[4])
}

/// Vouchers, cash and arrears.
type Vca = (Decimal, Decimal, Decimal);

/// FINDING 2's two exports of 2024-09 on `voucher_and_cash`: first MySQL 4 and CVM 10, both
/// unstated; then MySQL as `mysql` says (billed, vouchers, cash) and CVM unchanged. The
/// vouchers, cash and arrears after both exports, and after the newer one alone; each import
/// must be settled (neither refused).
fn after_both_and_alone(mysql: (&str, &str, &str)) -> (Vca, Vca) {
    let first = tencent_bill(
        "E1",
        &[
            ("云数据库MySQL", "4", "-", "-"),
            ("云服务器CVM", "10", "-", "-"),
        ],
    );
    let (billed, vouchers, cash) = mysql;
    let newer = tencent_bill(
        "E2",
        &[
            ("云数据库MySQL", billed, vouchers, cash),
            ("云服务器CVM", "10", "-", "-"),
        ],
    );
    let account = "100000000001";
    let mut alone = ledger(&voucher_and_cash());
    settle(&mut alone, "2.csv", &newer, "2025-06-02").unwrap();
    let mut seq = ledger(&voucher_and_cash());
    settle(&mut seq, "1.csv", &first, "2025-06-01").unwrap();
    settle(&mut seq, "2.csv", &newer, "2025-06-02").unwrap();
    (
        vouchers_cash_arrears(&seq, account),
        vouchers_cash_arrears(&alone, account),
    )
}

/// FINDING 2 (fixed in 61a9c49). A newer export that keeps one service unchanged and changes
/// another: the unchanged group was skipped, so its settlement stayed in force while the
/// changed one was reversed and settled again after it. The export alone settles its groups in
/// service order (云数据库MySQL before 云服务器CVM), on balances no sibling has touched, and
/// takes other purses; the whole month is now settled again as it would.
#[test]
fn a_newer_export_keeping_a_service_unchanged_ends_where_it_alone_would() {
    // The first export in the deduction order: MySQL 4 from the voucher, CVM the voucher's
    // last 6 and cash 4. The newer one says cash paid MySQL.
    let (both, alone) = after_both_and_alone(("4", "0", "4"));
    // Alone: MySQL cash 4, CVM the voucher's 10: vouchers 0, cash 96.
    assert_eq!(alone, (cents(0), cents(9_600), cents(0)));
    // Before the fix, after the first export: MySQL's 4 was given back to the voucher and taken
    // from cash; CVM kept the voucher's 6 and cash 4: vouchers 4, cash 92.
    assert_eq!(both, alone);
}

/// FINDING 2, refused (fixed in 61a9c49): the same, where the changed service states more
/// vouchers than the unchanged one's settlement left. The export alone is settled; after the
/// first export it was refused, for money an earlier settlement had taken (§11: "a stated
/// split is never refused for money an earlier settlement had taken"): "the bill says 8 CNY
/// was paid by vouchers, but the ledger's vouchers hold 4".
#[test]
fn a_newer_export_keeping_a_service_unchanged_is_not_refused_where_it_alone_is_not() {
    let (both, alone) = after_both_and_alone(("8", "8", "0"));
    assert_eq!(both, alone);
}

/// A Huawei bill of account hw1 in `month`: lines `(service, amount due, cash, arrears)`.
fn huawei_bill(month: &str, id: &str, lines: &[(&str, &str, &str, &str)]) -> String {
    let mut s = String::from(
        "Billing Cycle,Account Name,Service Type,Billing Mode,Order ID,Expenditure Time,Amount Due ($),Cash Payment ($),Amount in Arrears ($)\n",
    );
    for (n, (service, due, cash, arrears)) in lines.iter().enumerate() {
        s += &format!(
            "{month},hw1,{service},Pay-per-use,{id}-{n},{month}-02 00:00:00 GMT+08:00,{due},{cash},{arrears}\n"
        );
    }
    s
}

/// FINDING 1. September states 10 left owed while the account holds cash; a newer October
/// export reverses October's cash payment, and that cash repays September's arrears
/// (src/ledger/bills.rs `reverse`: cash given back goes through `credit_repaying_arrears`).
/// October's last export alone leaves the 10 owed beside the cash: the same net, another
/// split between cash and arrears.
#[test]
#[ignore = "bug: cash a reversal gives back repays arrears another settlement left owed, so cash and arrears differ from the last export alone (their difference is the same)"]
fn cash_given_back_by_a_reversal_leaves_arrears_as_the_last_export_alone_does() {
    let case = Case {
        provider: Provider::Huawei,
        purses: Purses {
            cash: 10_000,
            voucher: None,
            complimentary: None,
            card: None,
        },
        months: Vec::new(),
    };
    let september = huawei_bill("2024-09", "S", &[("ECS", "10", "0", "10")]);
    let october_1 = huawei_bill("2024-10", "O1", &[("ECS", "5", "5", "0")]);
    let october_2 = huawei_bill("2024-10", "O2", &[("ECS", "3", "3", "0")]);
    let mut seq = ledger(&case);
    settle(&mut seq, "sep.csv", &september, "2025-06-01").unwrap();
    settle(&mut seq, "oct-1.csv", &october_1, "2025-06-01T01:00:00Z").unwrap();
    settle(&mut seq, "oct-2.csv", &october_2, "2025-06-02").unwrap();
    let mut alone = ledger(&case);
    settle(&mut alone, "sep.csv", &september, "2025-06-01").unwrap();
    settle(&mut alone, "oct-2.csv", &october_2, "2025-06-02").unwrap();
    // Alone: cash 100 − 3, and September's 10 owed.
    assert_eq!(
        vouchers_cash_arrears(&alone, "hw1"),
        (cents(0), cents(9_700), cents(1_000))
    );
    // The sequence: cash 92 and 5 owed (October's 5 given back repaid 5 of September's).
    assert_eq!(
        vouchers_cash_arrears(&seq, "hw1"),
        vouchers_cash_arrears(&alone, "hw1")
    );
}
