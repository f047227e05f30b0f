-- Billfold ledger, schema 3: bill review (issue 5). Append-only: never edit, add the next.

-- Local settings (the reviewer's name).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Review marks. Append-only history: the newest row of a key is the current mark. A key names
-- the charge, not a line id (providers re-issue bills with new line ids): for a line, provider +
-- account + month + resource + SKU + charge period; for a resource-month or a service-month,
-- account + month + resource or service.
CREATE TABLE annotations (
    id           INTEGER PRIMARY KEY,
    target       TEXT NOT NULL CHECK (target IN ('line', 'resource', 'service')),
    key          TEXT NOT NULL,
    provider     TEXT,
    account_id   TEXT,
    month        TEXT NOT NULL,
    resource_id  TEXT,
    sku_id       TEXT,
    service      TEXT,
    charge_start TEXT,
    charge_end   TEXT,
    status       TEXT NOT NULL CHECK (status IN ('reviewed', 'disputed', 'accepted')),
    note         TEXT,
    reviewer     TEXT,
    at           TEXT NOT NULL
) STRICT;
CREATE INDEX annotations_key ON annotations(key, id);
CREATE TRIGGER annotations_append_only_update BEFORE UPDATE ON annotations
BEGIN SELECT RAISE(ABORT, 'review marks are append-only: add a new mark instead'); END;
CREATE TRIGGER annotations_append_only_delete BEFORE DELETE ON annotations
BEGIN SELECT RAISE(ABORT, 'review marks are append-only: add a new mark instead'); END;

-- Invoices as the provider issued them, to check against the billed cost of their lines.
CREATE TABLE invoices (
    invoice_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    amount     TEXT NOT NULL,
    currency   TEXT NOT NULL
) STRICT;

-- "The provider shows PURSE = AMOUNT at AT": checked against the ledger.
CREATE TABLE balance_assertions (
    id         INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    purse      TEXT NOT NULL,
    amount     TEXT NOT NULL,
    at         TEXT NOT NULL
) STRICT;

-- Exchange rates kept by the user: 1 FROM = RATE TO, on a date.
CREATE TABLE fx_rates (
    from_currency TEXT NOT NULL,
    to_currency   TEXT NOT NULL,
    on_date       TEXT NOT NULL,
    rate          TEXT NOT NULL,
    PRIMARY KEY (from_currency, to_currency, on_date)
) STRICT;

-- Signed-off months with the totals they had, so later changes are flagged with the difference.
CREATE TABLE signoffs (
    account_id TEXT NOT NULL REFERENCES accounts(id),
    month      TEXT NOT NULL,
    currency   TEXT NOT NULL,
    billed     TEXT NOT NULL,
    lines      INTEGER NOT NULL,
    reviewer   TEXT,
    at         TEXT NOT NULL,
    PRIMARY KEY (account_id, month, currency)
) STRICT;
