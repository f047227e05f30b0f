//! Generated FOCUS 1.2 bills for the benchmarks and the tests that need many lines: all 57
//! columns, deterministic (the same seed gives the same file), synthetic.

use std::io::{BufWriter, Write};

use crate::import::focus::FOCUS_12_COLUMNS;

/// A small deterministic generator (no dependency, same file every run).
pub(crate) struct Lcg(u64);

impl Lcg {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const SERVICES: [(&str, &str); 8] = [
    ("Amazon Elastic Compute Cloud", "Compute"),
    ("Amazon Simple Storage Service", "Storage"),
    ("Amazon Relational Database Service", "Databases"),
    ("AWS Lambda", "Compute"),
    ("Amazon CloudFront", "Networking"),
    ("Amazon DynamoDB", "Databases"),
    ("Amazon Elastic Kubernetes Service", "Compute"),
    ("AWS Key Management Service", "Security"),
];
const REGIONS: [&str; 5] = [
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "ap-southeast-1",
    "ap-northeast-1",
];

/// The resources' attributes do not depend on the file's seed: files generated with other
/// seeds bill the same resources (with other amounts), as successive months of one bill do.
const RESOURCE_SEED: u64 = 0x5eed;

/// Lines a resource has in a month, on average, in generated files: a resource billed a few
/// usage types a day (real exports have one line per resource, usage type and hour or day).
pub const LINES_PER_RESOURCE_MONTH: u64 = 240;

/// Writes `rows` lines of a FOCUS 1.2 cost-and-usage file (all 57 columns, header first):
/// 3 months (2026-01 to 2026-03), see [`generate_focus_12_months`].
pub fn generate_focus_12(out: impl Write, rows: u64) -> std::io::Result<()> {
    generate_focus_12_months(out, rows, &["2026-01", "2026-02", "2026-03"], 0x5eed)
}

/// The month after `YYYY-MM`.
fn next_month(m: &str) -> String {
    let (y, mo) = m.split_once('-').unwrap_or(("2026", "01"));
    let (y, mo): (i32, u32) = (y.parse().unwrap_or(2026), mo.parse().unwrap_or(1));
    if mo == 12 {
        format!("{:04}-01", y + 1)
    } else {
        format!("{y:04}-{:02}", mo + 1)
    }
}

/// Writes `rows` lines of a FOCUS 1.2 file spread evenly over `months` (in that order): 2
/// billing accounts, 12 sub accounts, 8 services, 5 regions, 10-decimal costs, one line in 50 a
/// credit. Lines belong to resources, each with fixed attributes (account, member, service,
/// region, SKU, tags) and about [`LINES_PER_RESOURCE_MONTH`] lines a month, as in a real export;
/// the same `seed` gives the same file, another seed other hours and amounts.
pub fn generate_focus_12_months(
    out: impl Write,
    rows: u64,
    months: &[&str],
    seed: u64,
) -> std::io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 20, out);
    writeln!(w, "{}", FOCUS_12_COLUMNS.join(","))?;
    let mut r = Lcg(seed);
    let per_month = rows.div_ceil(months.len().max(1) as u64).max(1);
    let resources = (per_month / LINES_PER_RESOURCE_MONTH).max(16);
    let ends: Vec<String> = months.iter().map(|m| next_month(m)).collect();
    for i in 0..rows {
        let mi = ((i / per_month) as usize).min(months.len() - 1);
        let (ms, me) = (months[mi], &ends[mi]);
        // The resource fixes everything but the hour and the amount.
        let res = r.below(resources);
        let mut h = Lcg(res.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ RESOURCE_SEED);
        let acct = if h.below(2) == 0 {
            "111122223333"
        } else {
            "444455556666"
        };
        let sub = 100000000000u64 + h.below(12);
        let (svc, cat) = SERVICES[h.below(SERVICES.len() as u64) as usize];
        let region = REGIONS[h.below(REGIONS.len() as u64) as usize];
        let sku = h.below(500);
        let team = h.below(20);
        let day = 1 + r.below(28);
        let hour = r.below(24);
        let micro = r.below(10_000_000_000);
        let units = r.below(1000);
        let negative = r.below(50) == 0;
        let sign = if negative { "-" } else { "" };
        let (category, class) = if negative {
            ("Credit", "")
        } else {
            ("Usage", "")
        };
        let billed = format!("{sign}{units}.{micro:010}");
        let list = format!("{}.{:010}", units + 1, micro);
        let qty = r.below(100_000);
        writeln!(
            w,
            "{az},{billed},{acct},Billfold Bench {acct},Payer,USD,{me}-01T00:00:00Z,{ms}-01T00:00:00Z,,,\
             {category},{class},{svc} usage in {region},Usage-Based,{ms}-{day:02}T{hour:02}:59:59Z,{ms}-{day:02}T{hour:02}:00:00Z,\
             ,,,,,,,{qty},Hrs,{billed},0.0123456789,{billed},INV-{ms},Amazon Web Services,{list},0.0234567891,Standard,USD,0.0123456789,{billed},0.0234567891,{qty},Hours,\
             AWS,AWS,{region},{region} region,arn:aws:ec2:{region}:{sub}:instance/i-{res:016x},web-{res},Virtual Machine,{cat},{svc},{cat} Other,\
             SKU{sku:05},Usage,,SKUPRICE{sku:05},{sub},member-{sub},Linked Account,\
             \"{{\"\"env\"\":\"\"prod\"\",\"\"team\"\":\"\"t{team}\"\"}}\"",
            az = format_args!("{region}a"),
        )?;
    }
    w.flush()
}
