//! Unit tests of the import pipeline's private parts (the fixture-driven tests are in
//! tests/import_*.rs).

use std::time::{Duration, Instant};

use super::*;

#[test]
fn bulk_mode_is_taken_only_when_the_ledger_is_not_shared() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.sqlite");
    let conn = crate::store::open(&path).unwrap();
    {
        // Another connection (the desktop app, say): the switch is refused at once.
        let other = crate::store::open(&path).unwrap();
        let _: i64 = other
            .query_row("SELECT COUNT(*) FROM accounts", [], |r| r.get(0))
            .unwrap();
        let t = Instant::now();
        assert!(!switch_journal(&conn, "wal", "DELETE"));
        assert!(t.elapsed() < Duration::from_secs(2), "it must not wait");
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
    assert!(switch_journal(&conn, "wal", "DELETE"));
    assert!(switch_journal(&conn, "delete", "WAL"));
    let timeout: i64 = conn
        .pragma_query_value(None, "busy_timeout", |r| r.get(0))
        .unwrap();
    assert_eq!(timeout, 5000, "the busy timeout is restored");
}

#[test]
fn header_names_are_normalized() {
    assert_eq!(normalize_header("\u{feff} 应付金额(¥) "), "应付金额");
    assert_eq!(normalize_header("代金券支出(元)"), "代金券支出");
    assert_eq!(normalize_header("BilledCost"), "billedcost");
    assert_eq!(normalize_header(" Transaction Time "), "transactiontime");
    assert_eq!(normalize_header("应付金额（￥）"), "应付金额");
    assert_eq!(
        super::currency_mark("Amount Due (US$)"),
        Some(("Amount Due", "USD"))
    );
    assert_eq!(super::currency_mark("标签键:env"), None);
    assert_eq!(
        normalize_header("Amount Due ($)"),
        normalize_header("AmountDue")
    );
}

#[test]
fn title_lines_above_the_header_are_skipped() {
    let text =
        "账单明细\n导出时间: 2020-09-01\n账期,账号,产品类型,应付金额(¥)\n2020-08,hw1,ECS,1.5\n";
    assert_eq!(
        check_reader(text.as_bytes(), "t.csv", Format::Auto).unwrap(),
        1
    );
}

#[test]
fn the_desktops_settle_choice_is_off_until_turned_on_and_kept() {
    let c = crate::store::open_in_memory().unwrap();
    assert!(!super::settles_imports(&c).unwrap());
    super::set_settles_imports(&c, true).unwrap();
    assert!(super::settles_imports(&c).unwrap());
    super::set_settles_imports(&c, false).unwrap();
    assert!(!super::settles_imports(&c).unwrap());
}

#[test]
fn a_reused_buffer_compresses_to_the_same_bytes_lz4_flex_would_write() {
    let text: Vec<u8> = (0..50_000u32)
        .flat_map(|i| format!("{i},AWS,{}\n", i % 97).into_bytes())
        .collect();
    let dirty = vec![0xAB; 9];
    for input in [&text[..], &text[..10], &[][..]] {
        let ours = compress_prepend_size(input, dirty.clone());
        assert_eq!(ours, lz4_flex::compress_prepend_size(input));
        assert_eq!(lz4_flex::decompress_size_prepended(&ours).unwrap(), input);
    }
    // A buffer that held a longer chunk before.
    let reused = compress_prepend_size(&text, Vec::new());
    assert_eq!(
        compress_prepend_size(&text[..100], reused),
        lz4_flex::compress_prepend_size(&text[..100])
    );
}

#[test]
fn a_missing_column_is_matched_to_a_misspelt_one_only_when_it_is_close() {
    assert_eq!(edit_distance("kitten", "sitting"), 3);
    assert_eq!(edit_distance("", "abc"), 3);
    assert_eq!(edit_distance("扣费时间", "消费时间"), 1);
    let header: Vec<String> = [
        "BilledCost",
        "BilledCurrency",
        "BillingAccountName",
        "PricingCurrency",
    ]
    .map(String::from)
    .to_vec();
    assert_eq!(
        near_miss("BillingCurrency", &header),
        Some("BilledCurrency")
    );
    assert_eq!(near_miss("BillingAccountId", &header), None);
    assert_eq!(near_miss("ProviderName", &header), None);
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

fn plain_options() -> Options {
    Options {
        format: Format::Auto,
        at: crate::time::parse("2026-06-01T00:00:00Z").unwrap(),
        progress: false,
        settle: false,
        currency: None,
        expect_sha256: None,
    }
}

/// Imports an opened file as `import_file` does, from the handle it hashed.
fn import_opened(conn: &mut Connection, path: &Path, opened: &Opened) -> Result<FileReport> {
    let reader = opened.reader(path, Arc::default())?;
    import_stream(
        conn,
        reader,
        "bill.csv",
        &opened.sha256,
        &plain_options(),
        None,
        false,
    )
}

fn count(conn: &Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_file_written_to_after_it_was_hashed_is_refused_and_nothing_is_written() {
    use std::io::{Seek, SeekFrom, Write};
    let dir = tempfile::tempdir().unwrap();
    let mut conn = crate::store::open(&dir.path().join("l.sqlite")).unwrap();
    let path = dir.path().join("bill.csv");

    // Grown after the hash (a download still being written).
    std::fs::copy(fixture("focus-1.0.csv"), &path).unwrap();
    let opened = Opened::hash(&path).unwrap();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(b"0.1,ms-billing-01,Contoso,EUR\n").unwrap();
    let err = import_opened(&mut conn, &path, &opened).unwrap_err();
    assert_eq!(err.code, ErrorCode::Import);
    assert!(
        err.message
            .contains("bill.csv: not imported, nothing was written")
            && err.message.contains(
                "(it changed while Billfold read it: 1163 bytes when it was hashed, 1193 bytes \
                 read; import it again once nothing writes to it)"
            ),
        "{err}"
    );

    // Rewritten in place to the same length, its modification time put back (as a coarse
    // clock or a network share may leave it): told by the bytes themselves.
    std::fs::copy(fixture("focus-1.0.csv"), &path).unwrap();
    let opened = Opened::hash(&path).unwrap();
    let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    let at = f.metadata().unwrap().modified().unwrap();
    let line_2 = std::fs::read_to_string(&path)
        .unwrap()
        .find("\n10.5,")
        .unwrap()
        + 1;
    f.seek(SeekFrom::Start(line_2 as u64)).unwrap();
    f.write_all(b"99.5").unwrap();
    f.set_modified(at).unwrap();
    let err = import_opened(&mut conn, &path, &opened).unwrap_err();
    assert!(
        err.message
            .contains("1163 bytes when it was hashed, 1163 bytes read, not the same"),
        "{err}"
    );

    assert_eq!(count(&conn, "imports"), 0);
    assert_eq!(count(&conn, "cost_lines"), 0);
    assert_eq!(count(&conn, "accounts"), 0);

    // Touched, its bytes unchanged: imported.
    std::fs::copy(fixture("focus-1.0.csv"), &path).unwrap();
    let opened = Opened::hash(&path).unwrap();
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_modified(std::time::SystemTime::now() + Duration::from_secs(5))
        .unwrap();
    assert_eq!(import_opened(&mut conn, &path, &opened).unwrap().rows, 3);
}

#[test]
fn a_file_replaced_after_it_was_hashed_is_imported_as_it_was_hashed() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = crate::store::open(&dir.path().join("l.sqlite")).unwrap();
    let path = dir.path().join("bill.csv");
    std::fs::copy(fixture("focus-1.0.csv"), &path).unwrap();
    let opened = Opened::hash(&path).unwrap();
    // Another file put in its place (an editor saving, a download finishing): the import
    // reads the bytes it hashed, from the handle it hashed them through.
    let other = dir.path().join("other.csv");
    std::fs::copy(fixture("focus-1.1.csv"), &other).unwrap();
    std::fs::rename(&other, &path).unwrap();
    let report = import_opened(&mut conn, &path, &opened).unwrap();
    assert_eq!(report.format, "focus-1.0");
    assert_eq!(report.rows, 3);
    let sha: String = conn
        .query_row("SELECT sha256 FROM imports", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sha, opened.sha256);
}

#[test]
fn a_currency_refusal_whose_file_changed_before_its_rows_were_listed_is_a_change() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = crate::store::open(&dir.path().join("l.sqlite")).unwrap();
    let path = dir.path().join("bill.csv");
    // Huawei's English columns without the currency after the amounts' names, rows all good.
    std::fs::write(
        &path,
        "Billing Cycle,Account Name,Service Type,Amount Due,Cash Payment\n\
         2024-09,hw_intl01,Elastic Cloud Server,0.10,0.10\n",
    )
    .unwrap();
    let opened = Opened::hash(&path).unwrap();
    let refused = import_opened(&mut conn, &path, &opened).unwrap_err();
    assert_eq!(refused.code, ErrorCode::CurrencyUnstated);
    let reread = || opened.reader(&path, Arc::default());
    // Its rows read again, all good: the refusal stands, with its currency choice.
    let message = refused.message.clone();
    let refused = with_bad_rows(refused, "bill.csv", &plain_options(), reread);
    assert_eq!(refused.code, ErrorCode::CurrencyUnstated);
    assert_eq!(refused.message, message);
    // Written to before its rows are read again: the change is the error, without the refusal
    // it makes moot (a currency named now would be refused: the bytes are not those hashed).
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    std::io::Write::write_all(&mut f, b"2024-09,hw_intl01,Elastic Cloud Server,bad,0.10\n")
        .unwrap();
    let changed = with_bad_rows(refused, "bill.csv", &plain_options(), reread);
    assert_eq!(changed.code, ErrorCode::Import);
    assert_eq!(
        changed.message,
        "bill.csv: not imported, nothing was written: the file cannot be read (it changed \
         while Billfold read it: 113 bytes when it was hashed, 161 bytes read; import it again \
         once nothing writes to it)"
    );
}

#[test]
fn control_characters_in_names_do_not_shift_the_rollups_keys() {
    use crate::costs::{group_costs, CostFilter, GroupBy};
    let bytes = std::fs::read_to_string(fixture("focus-1.0.csv"))
        .unwrap()
        .replace("Virtual Machines", "Virtual\u{1f}Machines")
        .replace(",sub-1,", ",sub\u{1f}1,");
    let mut conn = crate::store::open_in_memory().unwrap();
    import_bytes(&mut conn, "bill.csv", bytes.as_bytes(), &plain_options()).unwrap();
    let groups = group_costs(
        &conn,
        &CostFilter::default(),
        &[GroupBy::Month, GroupBy::SubAccount, GroupBy::Service],
    )
    .unwrap();
    let keys: Vec<(String, String, String, String)> = groups
        .iter()
        .map(|g| {
            let k = |name: &str| g.keys[name].clone().unwrap_or_default();
            (
                k("month"),
                k("sub_account"),
                k("service"),
                g.currency.clone(),
            )
        })
        .collect();
    assert!(
        keys.contains(&(
            "2024-06".into(),
            "sub\u{1f}1".into(),
            "Virtual\u{1f}Machines".into(),
            "EUR".into()
        )),
        "{keys:?}"
    );
    assert!(keys.iter().all(|k| k.3 == "EUR"), "{keys:?}");
}

#[test]
fn a_tencent_billed_column_named_before_tax_in_chinese_reads_as_the_plain_one() {
    use crate::costs::{group_costs, CostFilter, GroupBy};
    let plain = std::fs::read_to_string(fixture("tencent-cn.csv")).unwrap();
    let mut totals = Vec::new();
    for name in [
        "优惠后总价",
        "优惠后总价(不含税)",
        "优惠后总价（不含税）(元)",
    ] {
        let bytes = plain.replacen(",优惠后总价,", &format!(",{name},"), 1);
        let mut conn = crate::store::open_in_memory().unwrap();
        let r = import_bytes(&mut conn, "bill.csv", bytes.as_bytes(), &plain_options())
            .unwrap_or_else(|e| panic!("{name}: {}", e.message));
        assert_eq!(r.format, "tencent");
        let groups = group_costs(&conn, &CostFilter::default(), &[GroupBy::Month]).unwrap();
        totals.push(
            groups
                .iter()
                .map(|g| (g.keys["month"].clone(), g.billed_cost))
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(totals[0], totals[1]);
    assert_eq!(totals[0], totals[2]);
}

#[test]
fn the_progress_indicator_says_percent_of_bytes_read_and_lines_written() {
    let p = |bytes_read, file_bytes, lines| Progress {
        bytes_read,
        file_bytes,
        lines,
    };
    assert_eq!(
        indicator("bill.csv", &p(420, 1000, 420_000)),
        "importing bill.csv:  42% (420000 lines)"
    );
    assert_eq!(
        indicator("bill.csv", &p(1000, 1000, 1_000_000)),
        "importing bill.csv: 100% (1000000 lines)"
    );
    assert_eq!(
        indicator("a.csv", &p(0, 0, 0)),
        "importing a.csv:   0% (0 lines)"
    );
    // Never beyond 100 %, whatever the counter says (gzip: compressed bytes).
    assert_eq!(
        indicator("a.csv.gz", &p(7, 5, 9)),
        "importing a.csv.gz: 100% (9 lines)"
    );
}
