//! A file's header: which format it is, which column is which (the mappers are in focus.rs,
//! tencent.rs and huawei.rs), and the currency marks of native exports.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::io::Read;

use super::*;

/// The currency marks native exports put after the names of amount columns, and the currency
/// each means (full-width forms too, and the full-width yen sign ￥).
pub(super) const CURRENCY_MARKS: &[(&str, &str)] = &[
    ("(元)", "CNY"),
    ("（元）", "CNY"),
    ("(¥)", "CNY"),
    ("（¥）", "CNY"),
    ("(￥)", "CNY"),
    ("（￥）", "CNY"),
    ("(CNY)", "CNY"),
    ("（CNY）", "CNY"),
    ("($)", "USD"),
    ("（$）", "USD"),
    ("(＄)", "USD"),
    ("（＄）", "USD"),
    ("(US$)", "USD"),
    ("（US$）", "USD"),
    ("(USD)", "USD"),
    ("（USD）", "USD"),
];

/// A header name without its currency mark, and the mark's currency, if it has one.
pub fn currency_mark(header: &str) -> Option<(&str, &'static str)> {
    let h = header.trim_end();
    CURRENCY_MARKS.iter().find_map(|(mark, currency)| {
        h.strip_suffix(mark)
            .map(|rest| (rest.trim_end(), *currency))
    })
}

/// The currency a native export's header gives its amounts, and where it comes from: the
/// marks after the amount columns' names (one currency, which `said` must agree with), else
/// what the user said (`--currency`), else CNY when the amount column `amount` is named in
/// Chinese (the Chinese sites bill in yuan). `None` when nothing tells: the Chinese sites also
/// export English headers, so an English one without a mark cannot be told.
pub(super) fn header_currency(
    header: &[String],
    amount: usize,
    said: Option<&str>,
) -> std::result::Result<Option<(Cow<'static, str>, CurrencyFrom)>, HeaderError> {
    let mut marked: Vec<(&'static str, &str)> = Vec::new();
    // Tag columns are named by the users' own keys (`标签键:budget($)`): not the amounts'.
    for h in header.iter().filter(|h| !tencent::is_tag_column(h)) {
        if let Some((_, c)) = currency_mark(h) {
            if !marked.iter().any(|(m, _)| *m == c) {
                marked.push((c, h));
            }
        }
    }
    match (&marked[..], said) {
        ([(c, h)], Some(said)) if *c != said => Err(HeaderError::Problem(format!(
            "the header marks amounts in {c} ({h}) but --currency says {said}: expected \
             the currency the file states (name {c}, or leave --currency out)"
        ))),
        ([(c, _)], _) => Ok(Some((Cow::Borrowed(c), CurrencyFrom::Mark))),
        ([(_, a), (_, b), ..], _) => Err(HeaderError::Problem(format!(
            "the header marks amounts in two currencies ({a}, {b}): expected one currency per \
             file"
        ))),
        ([], Some(said)) => Ok(Some((Cow::Owned(said.to_string()), CurrencyFrom::Said))),
        ([], None)
            if header[amount]
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) =>
        {
            Ok(Some((Cow::Borrowed("CNY"), CurrencyFrom::Guessed)))
        }
        ([], None) => Ok(None),
    }
}

/// Why a header cannot be read as the format asked for.
pub enum HeaderError {
    /// The required columns it lacks, as the message names them.
    Missing(Vec<&'static str>),
    /// Something else, as a sentence.
    Problem(String),
    /// The currency of the amounts cannot be told, as a sentence: naming it would do.
    CurrencyUnstated(String),
}

/// Why a file's header is refused: the sentence, and whether naming the amounts' currency
/// (`--currency`) would have it imported (`ErrorCode::CurrencyUnstated`, which the desktop
/// answers with a choice of currency).
#[derive(Debug)]
pub struct Refusal {
    pub problem: String,
    pub currency_unstated: bool,
    /// The file could not be read to its end (an I/O error, or it changed while it was read):
    /// a problem of the file's bytes, not of its rows.
    pub unreadable: bool,
}

impl From<String> for Refusal {
    fn from(problem: String) -> Self {
        Refusal {
            problem,
            currency_unstated: false,
            unreadable: false,
        }
    }
}

impl From<&str> for Refusal {
    fn from(problem: &str) -> Self {
        problem.to_string().into()
    }
}

impl Refusal {
    /// The error of file `name`, refused for this.
    pub(super) fn of_file(self, name: &str) -> Error {
        let mut e = super::import_error(name, self.problem);
        if self.currency_unstated {
            e.code = ErrorCode::CurrencyUnstated;
        }
        e
    }
}

/// A header name as mappers look it up: lower case, without a BOM, without spaces (Tencent's
/// partner bills write `TransactionTime` where its English site writes `Transaction Time`) and
/// without the currency suffix of native exports (`(元)`, `(¥)`, `($)`).
pub fn normalize_header(h: &str) -> String {
    let mut t = h.trim().trim_start_matches('\u{feff}').trim();
    if let Some((rest, _)) = currency_mark(t) {
        t = rest;
    }
    t.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The first of `names` present in the header.
pub fn find(cols: &HashMap<String, usize>, names: &[&str]) -> Option<usize> {
    names.iter().find_map(|n| cols.get(*n).copied())
}

/// The header found in a file and the mapper for it.
pub struct Sniffed {
    pub mapper: Box<dyn Mapper>,
    pub header: Vec<String>,
}

/// A line read as a header: its names, its columns by normalized name, and the refusal of a
/// column it names twice.
type HeaderLine = (Vec<String>, HashMap<String, usize>, Option<String>);

/// Finds the header (in the first lines) and builds the mapper for it.
pub fn sniff<R: Read>(
    rdr: &mut csv::Reader<Tee<R>>,
    format: Format,
    currency: Option<&str>,
) -> std::result::Result<Sniffed, Refusal> {
    let mut rec = csv::StringRecord::new();
    // The first line, judged when no line is a known header.
    let mut first: Option<HeaderLine> = None;
    for _ in 0..HEADER_SEARCH_LINES {
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            // Nothing of the file was dropped yet: the kept bytes start at its first byte.
            Err(e) => return Err(csv_problem(&e, &rdr.get_ref().kept, 0, &[]).into()),
        }
        let header: Vec<String> = rec
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let h = if i == 0 {
                    h.trim_start_matches('\u{feff}')
                } else {
                    h
                };
                h.trim().to_string()
            })
            .collect();
        let mut cols: HashMap<String, usize> = HashMap::new();
        let mut dup: Option<(usize, usize)> = None;
        for (i, h) in header.iter().enumerate() {
            let n = normalize_header(h);
            if n.is_empty() {
                continue;
            }
            // Tag and extension columns are read by their own names (tag keys are
            // case-sensitive): two that differ only by case or spaces are two columns.
            let own_name = tencent::is_tag_column(h) || n.starts_with("x_");
            match cols.entry(n) {
                Entry::Occupied(e) if dup.is_none() && (!own_name || header[*e.get()] == *h) => {
                    dup = Some((*e.get(), i))
                }
                Entry::Occupied(_) => {}
                Entry::Vacant(e) => {
                    e.insert(i);
                }
            }
        }
        let matches = match format {
            Format::Auto => focus::sniff(&cols) || tencent::sniff(&cols) || huawei::sniff(&cols),
            Format::Focus => focus::sniff(&cols),
            Format::Tencent => tencent::sniff(&cols),
            Format::Huawei => huawei::sniff(&cols),
        };
        let dup = dup.map(|(a, b)| named_twice(&header[a], &header[b]));
        if first.is_none() {
            first = Some((header.clone(), cols.clone(), dup.clone()));
        }
        if !matches {
            continue;
        }
        if dup.is_some() {
            return refuse_twice(build(format, header, &cols, currency), dup);
        }
        // Lines ending in a carriage return alone (old Mac files): the reader splits records
        // there but counts lines by `\n`, so every record would be "line 1".
        let at = rdr.position().byte() as usize;
        let kept = &rdr.get_ref().kept;
        let after_returns = kept
            .get(at..)
            .unwrap_or_default()
            .iter()
            .find(|&&b| b != b'\r');
        if at > 0 && kept.get(at - 1) == Some(&b'\r') && after_returns.is_some_and(|&b| b != b'\n')
        {
            return Err(
                "its lines end with a carriage return alone (an old Mac format): \
                 expected lines ending in a line feed, or a carriage return and a line feed \
                 (save it again as CSV)"
                    .into(),
            );
        }
        return build(format, header, &cols, currency);
    }
    // No line is a known header: the first line is judged, with all that is wrong with it.
    match (format, first) {
        (_, None) => Err("the file is empty: expected a header line and bill lines".into()),
        // FOCUS's own column: judged as FOCUS, so the message names the columns it lacks.
        (Format::Auto, Some((header, cols, dup))) if cols.contains_key("billedcost") => {
            refuse_twice(build(Format::Focus, header, &cols, currency), dup)
        }
        (Format::Auto, Some(_)) => Err(
            "the header is not one of a bill Billfold knows: expected FOCUS (BilledCost, \
             BillingAccountId, BillingCurrency...), Tencent Cloud bill details (支付者UIN, \
             优惠后总价...) or Huawei Cloud expenditure details (账期, 应付金额(¥)...)"
                .into(),
        ),
        (f, Some((header, cols, dup))) => refuse_twice(build(f, header, &cols, currency), dup),
    }
}

/// `built`, unless the header names a column twice (`dup`: its refusal): then refused, with
/// whatever else is wrong with the header, so that one fix is enough.
fn refuse_twice(
    built: std::result::Result<Sniffed, Refusal>,
    dup: Option<String>,
) -> std::result::Result<Sniffed, Refusal> {
    match (built, dup) {
        (built, None) => built,
        (Ok(_), Some(dup)) => Err(dup.into()),
        (Err(refusal), Some(dup)) => Err(format!("{}; and {dup}", refusal.problem).into()),
    }
}

/// The refusal of a header that names a column twice (`a` and `b`: its two spellings).
fn named_twice(a: &str, b: &str) -> String {
    if a == b {
        format!("the header names the column '{a}' twice: expected each column once")
    } else {
        format!(
            "the header's columns '{a}' and '{b}' are one column (names are compared without \
             case and spaces): expected each column once"
        )
    }
}

/// The mapper for a header. `currency` is the one the user said the amounts are in
/// (`--currency`): where the file does not state its currency, its amounts are read in it.
pub(super) fn build(
    format: Format,
    header: Vec<String>,
    cols: &HashMap<String, usize>,
    currency: Option<&str>,
) -> std::result::Result<Sniffed, Refusal> {
    let format = match format {
        Format::Auto if focus::sniff(cols) => Format::Focus,
        Format::Auto if tencent::sniff(cols) => Format::Tencent,
        Format::Auto => Format::Huawei,
        f => f,
    };
    let mapper: std::result::Result<Box<dyn Mapper>, HeaderError> = match format {
        Format::Focus => focus::Focus::new(cols).map(|m| Box::new(m) as Box<dyn Mapper>),
        Format::Tencent => tencent::Tencent::new(cols, &header, currency).map(|m| Box::new(m) as _),
        _ => huawei::Huawei::new(cols, &header, currency).map(|m| Box::new(m) as _),
    };
    match mapper {
        Ok(mapper) => Ok(Sniffed { mapper, header }),
        Err(HeaderError::Problem(problem)) => Err(problem.into()),
        Err(HeaderError::CurrencyUnstated(problem)) => Err(Refusal {
            problem,
            currency_unstated: true,
            unreadable: false,
        }),
        Err(HeaderError::Missing(missing)) => {
            let mut problem = format!(
                "the header has no {} column: expected a {} export with {}",
                missing.join(", no "),
                match format {
                    Format::Focus => "FOCUS",
                    Format::Tencent => "Tencent Cloud bill details",
                    _ => "Huawei Cloud expenditure details",
                },
                if missing.len() == 1 {
                    "that column"
                } else {
                    "those columns"
                }
            );
            if format == Format::Focus {
                if let Some(old) = focus_0_5(&header, &missing) {
                    return Err(old.into());
                }
                for name in &missing {
                    let name = name.split(" (").next().unwrap_or(name);
                    if let Some(near) = near_miss(name, &header) {
                        problem.push_str(&format!(
                            " (the header's {near} is not a FOCUS column: is it {name} misspelt?)"
                        ));
                    }
                }
            }
            Err(problem.into())
        }
    }
}

/// The columns FOCUS 1.0 renamed from 0.5 (the preview some early exports and validators still
/// write), with their 1.0 names.
const FOCUS_0_5_NAMES: &[(&str, &str)] = &[
    ("BilledCurrency", "BillingCurrency"),
    ("ChargeType", "ChargeCategory"),
    ("Provider", "ProviderName"),
    ("AmortizedCost", "EffectiveCost"),
];

/// The refusal of a FOCUS 0.5 header: two or more of the columns 1.0 renamed, under their 0.5
/// names, in place of their 1.0 names (one alone is more likely a misspelt 1.x column, which
/// [`near_miss`] names). `missing`: the required columns the header lacks, as `build` names them;
/// those 0.5 did not rename are named too, so that one fix is enough.
fn focus_0_5(header: &[String], missing: &[&'static str]) -> Option<String> {
    let bare = |m: &'static str| m.split(" (").next().unwrap_or(m);
    let found: Vec<(&str, &str)> = FOCUS_0_5_NAMES
        .iter()
        .copied()
        .filter(|(old, new)| {
            missing.iter().any(|m| bare(m) == *new)
                && header
                    .iter()
                    .any(|h| normalize_header(h) == normalize_header(old))
        })
        .collect();
    if found.len() < 2 {
        return None;
    }
    let (old, new): (Vec<&str>, Vec<&str>) = found.into_iter().unzip();
    let mut problem = format!(
        "the header has FOCUS 0.5's column names ({}): expected FOCUS 1.0–1.3, which names them {}",
        old.join(", "),
        new.join(", ")
    );
    let rest: Vec<&str> = missing
        .iter()
        .copied()
        .filter(|m| !new.contains(&bare(m)))
        .collect();
    if !rest.is_empty() {
        problem.push_str(&format!(
            "; the header also has no {} column",
            rest.join(", no ")
        ));
    }
    problem.push_str(" (export the bill again as FOCUS 1.0 or later)");
    Some(problem)
}

/// The header's column whose name is nearest to `name` (letters compared without case),
/// if it is a few edits away: a misspelt column (e.g. `BilledCurrency` for `BillingCurrency`,
/// seen in samples of the FOCUS specification itself).
pub(super) fn near_miss<'h>(name: &str, header: &'h [String]) -> Option<&'h str> {
    let want = normalize_header(name);
    let limit = (want.chars().count() / 5).max(2);
    header
        .iter()
        .map(|h| (edit_distance(&normalize_header(h), &want), h))
        .filter(|&(d, _)| d > 0 && d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, h)| h.as_str())
}

/// Levenshtein distance between two strings, in characters.
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}
