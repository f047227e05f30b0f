-- Billfold ledger, schema 2: cost lines and imported bill files. Append-only: never edit, add the next.
--
-- Cost lines are the bulk of a ledger (a large organization's bills hold millions of lines a
-- month), so they are stored for size and scan speed, unlike the rest of the ledger:
-- - every text of a line (service, region, resource id, tags, description...) is a `labels`
--   id: a bill repeats a few thousand texts millions of times;
-- - amounts are BLOBs in the exact, order-preserving form of `store::amount_key` (every digit
--   the provider gave; SQLite's BLOB order is their numeric order, so an index can serve
--   "largest first"; SQLite never sums them, Rust does);
-- - times are INTEGER Unix seconds (UTC);
-- - the original rows are not repeated per line: the file's own bytes are kept, compressed, in
--   `import_chunks`, and a line points into them by its import and physical line number.

-- Texts of cost lines, each stored once. Never deleted.
CREATE TABLE labels (
    id   INTEGER PRIMARY KEY,
    text TEXT NOT NULL UNIQUE
) STRICT;

-- Every imported file is one row of `imports`, keyed by the SHA-256 of its bytes (a file imported
-- twice adds nothing). A file's lines are cut into slices (provider, billing account, month);
-- `import_slices` says which import currently provides each slice and whether that month is
-- provisional or final. A newer export of a slice replaces the older one's lines atomically.
CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    sha256      TEXT NOT NULL UNIQUE,  -- hex digest of the file's bytes (compressed bytes for .gz)
    file_name   TEXT NOT NULL,         -- the file's name as imported (no directory)
    format      TEXT NOT NULL,         -- focus-1.0 .. focus-1.3, tencent, huawei
    header      TEXT NOT NULL,         -- JSON array of the header's column names
    rows        INTEGER NOT NULL,
    imported_at TEXT NOT NULL
) STRICT;

-- The file's records after the header, byte for byte (decompressed when the file was gzip), in
-- LZ4-compressed chunks of whole records: the original row of any line, for audit.
CREATE TABLE import_chunks (
    id         INTEGER PRIMARY KEY,
    import_id  INTEGER NOT NULL REFERENCES imports(id),
    first_line INTEGER NOT NULL,  -- physical line (1-based) where the chunk's first record starts
    last_line  INTEGER NOT NULL,  -- physical line where its last record starts
    bytes      INTEGER NOT NULL,  -- length of the chunk once decompressed
    data       BLOB NOT NULL      -- LZ4 block (lz4_flex, size prepended)
) STRICT;
CREATE UNIQUE INDEX import_chunks_lines ON import_chunks(import_id, first_line);

-- Cost lines: what was consumed, from a ledger charge or an imported bill. The expenditure
-- trend and the month/service figures read them through cost_rollups.
CREATE TABLE cost_lines (
    id                 INTEGER PRIMARY KEY,
    import_id          INTEGER REFERENCES imports(id), -- NULL for a charge recorded in Billfold
    source             INTEGER NOT NULL REFERENCES labels(id), -- file name; 'ledger' for Billfold's own
    source_line        INTEGER NOT NULL,  -- 1-based physical line of the record (entry id for 'ledger')
    account_id         TEXT NOT NULL REFERENCES accounts(id),
    month              TEXT NOT NULL,     -- YYYY-MM of the billing period
    service            INTEGER NOT NULL REFERENCES labels(id),
    sub_account        INTEGER REFERENCES labels(id),
    currency           TEXT NOT NULL,
    billed_cost        BLOB NOT NULL,
    effective_cost     BLOB NOT NULL,
    list_cost          BLOB,
    coupon_paid        BLOB,              -- cash coupons used: net amount = billed - coupon_paid
    pricing_quantity   BLOB,
    provider           INTEGER NOT NULL REFERENCES labels(id),
    category           INTEGER NOT NULL REFERENCES labels(id), -- Usage, Purchase, Tax, Credit, Adjustment
    charge_class       INTEGER REFERENCES labels(id),          -- Correction, or NULL
    resource           INTEGER REFERENCES labels(id),
    region             INTEGER REFERENCES labels(id),
    sku                INTEGER REFERENCES labels(id),
    tags               INTEGER REFERENCES labels(id),          -- a JSON object
    description        INTEGER REFERENCES labels(id),
    resource_name      INTEGER REFERENCES labels(id),
    sub_account_name   INTEGER REFERENCES labels(id),
    service_category   INTEGER REFERENCES labels(id),
    pricing_unit       INTEGER REFERENCES labels(id),
    invoice            INTEGER REFERENCES labels(id),
    charge_start       INTEGER,           -- Unix seconds, UTC
    charge_end         INTEGER,
    contracted_cost    BLOB,
    paid_voucher       BLOB,
    paid_complimentary BLOB,
    paid_cash          BLOB,
    paid_card          BLOB,
    paid_credit        BLOB,
    paid_arrears       BLOB,
    entry_id           INTEGER REFERENCES entries(id) -- the charge that settled it, if any
) STRICT;
-- An account's month in file order (slices, scans).
CREATE INDEX cost_lines_account_month ON cost_lines(account_id, month);

-- Two indexes kept by hand (costs::index_lines writes, a trigger deletes), because their keys come in random order: an
-- SQLite index on them would take a random B-tree insert per line, which made an import of a
-- million lines four times slower. Billfold writes their entries once per import, sorted
-- (SQLite's sorter, bounded memory), so they append like CREATE INDEX does.
--
-- The largest lines of each (account, month, service, member) first: the explorer's default
-- order ("member" 0 = no sub account).
CREATE TABLE cost_lines_rank (
    account_id  TEXT NOT NULL,
    month       TEXT NOT NULL,
    service     INTEGER NOT NULL,
    sub_account INTEGER NOT NULL,
    billed_cost BLOB NOT NULL,
    id          INTEGER NOT NULL,
    PRIMARY KEY (account_id, month, service, sub_account, billed_cost, id)
) STRICT, WITHOUT ROWID;
-- A resource's lines (explorer filter, review marks).
CREATE TABLE cost_lines_resource (
    resource   INTEGER NOT NULL,
    month      TEXT NOT NULL,
    account_id TEXT NOT NULL,
    id         INTEGER NOT NULL,
    PRIMARY KEY (resource, month, account_id, id)
) STRICT, WITHOUT ROWID;
-- A deleted line takes its entries with it, wherever it is deleted from.
CREATE TRIGGER cost_lines_unindex AFTER DELETE ON cost_lines
BEGIN
    DELETE FROM cost_lines_rank
    WHERE account_id = old.account_id AND month = old.month AND service = old.service
      AND sub_account = COALESCE(old.sub_account, 0) AND billed_cost = old.billed_cost
      AND id = old.id;
    DELETE FROM cost_lines_resource
    WHERE resource = old.resource AND month = old.month AND account_id = old.account_id
      AND id = old.id;
END;

-- Exact per-(account, member, month, service, currency) sums of cost_lines, maintained in Rust
-- at write time so that the trend and group-by-month/service never scan the lines. The member
-- is the sub account's text ('' for none); amounts are canonical decimal text.
CREATE TABLE cost_rollups (
    account_id     TEXT NOT NULL,
    sub_account_id TEXT NOT NULL DEFAULT '',
    month          TEXT NOT NULL,
    service        TEXT NOT NULL,
    currency       TEXT NOT NULL,
    billed_cost    TEXT NOT NULL,
    effective_cost TEXT NOT NULL,
    list_cost      TEXT NOT NULL,
    net_cost       TEXT NOT NULL,
    lines          INTEGER NOT NULL,
    PRIMARY KEY (account_id, sub_account_id, month, service, currency)
) STRICT, WITHOUT ROWID;
-- The same sums without the member: what the trend and month/service groupings read (an
-- organization with many members and services has ten times fewer rows here).
CREATE TABLE cost_rollups_by_service (
    account_id     TEXT NOT NULL,
    month          TEXT NOT NULL,
    service        TEXT NOT NULL,
    currency       TEXT NOT NULL,
    billed_cost    TEXT NOT NULL,
    effective_cost TEXT NOT NULL,
    list_cost      TEXT NOT NULL,
    net_cost       TEXT NOT NULL,
    lines          INTEGER NOT NULL,
    PRIMARY KEY (account_id, month, service, currency)
) STRICT, WITHOUT ROWID;

-- Exact sums per resource-month (costs::facts): what the explorer's groupings, totals, text
-- searches and month over month read instead of the lines. Label ids, 0 for none; amounts are
-- canonical decimal text.
CREATE TABLE cost_facts (
    account_id      TEXT NOT NULL,
    month           TEXT NOT NULL,
    service         INTEGER NOT NULL,
    sub_account     INTEGER NOT NULL,
    resource        INTEGER NOT NULL,
    region          INTEGER NOT NULL,
    category        INTEGER NOT NULL,
    charge_class    INTEGER NOT NULL,
    sku             INTEGER NOT NULL,
    tags            INTEGER NOT NULL,
    description     INTEGER NOT NULL,
    resource_name   INTEGER NOT NULL,
    currency        TEXT NOT NULL,
    billed_cost     TEXT NOT NULL,
    effective_cost  TEXT NOT NULL,
    list_cost       TEXT NOT NULL,   -- a line without a list cost counts at its billed cost
    net_cost        TEXT NOT NULL,   -- billed - cash coupons
    quantity        TEXT NOT NULL,   -- of the lines that state a pricing quantity
    quantity_billed TEXT NOT NULL,   -- billed cost of the lines with a quantity other than 0
    lines           INTEGER NOT NULL,
    PRIMARY KEY (account_id, month, service, sub_account, resource, region, category,
                 charge_class, sku, tags, description, resource_name, currency)
) STRICT, WITHOUT ROWID;

CREATE TABLE import_slices (
    provider    TEXT NOT NULL,
    account_id  TEXT NOT NULL REFERENCES accounts(id),
    month       TEXT NOT NULL,
    import_id   INTEGER NOT NULL REFERENCES imports(id),
    status      TEXT NOT NULL CHECK (status IN ('provisional', 'final')),
    lines       INTEGER NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (provider, account_id, month)
) STRICT;

-- What `import --settle` deducted for each (account, month, service) of imported bills, one
-- row per settlement (append-only history): a newer export of the month settles only the
-- difference. Amounts are canonical decimal text; the parts follow the provider's split
-- (`stated`) or are 0 when the deduction order was used.
CREATE TABLE bill_settlements (
    id            INTEGER PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts(id),
    month         TEXT NOT NULL,
    service       TEXT NOT NULL,
    entry_id      INTEGER NOT NULL REFERENCES entries(id),
    billed        TEXT NOT NULL,
    coupon        TEXT NOT NULL,
    voucher       TEXT NOT NULL,
    complimentary TEXT NOT NULL,
    card          TEXT NOT NULL,
    cash          TEXT NOT NULL,
    arrears       TEXT NOT NULL,
    stated        INTEGER NOT NULL,
    at            TEXT NOT NULL
) STRICT;
CREATE INDEX bill_settlements_key ON bill_settlements(account_id, month, service);
CREATE TRIGGER bill_settlements_append_only_update BEFORE UPDATE ON bill_settlements
BEGIN SELECT RAISE(ABORT, 'settlements are append-only'); END;
CREATE TRIGGER bill_settlements_append_only_delete BEFORE DELETE ON bill_settlements
BEGIN SELECT RAISE(ABORT, 'settlements are append-only'); END;
