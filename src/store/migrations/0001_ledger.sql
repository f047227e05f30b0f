-- Billfold ledger, schema 1. Migrations are append-only: never edit a released file, add the next.
--
-- Money columns are TEXT holding the exact canonical decimal (see money::to_text). SQLite never
-- sums them: every aggregation is done in Rust with rust_decimal, so nothing is ever a float.
-- Times are TEXT in RFC 3339 UTC with whole seconds ("2026-11-23T08:00:00Z"), so that text order
-- is time order.

CREATE TABLE orgs (
    id   TEXT PRIMARY KEY,
    mode TEXT NOT NULL CHECK (mode IN ('unified', 'self-pay'))
) STRICT;

CREATE TABLE accounts (
    id              TEXT PRIMARY KEY,
    provider        TEXT NOT NULL,
    currency        TEXT NOT NULL CHECK (length(currency) = 3),
    mode            TEXT NOT NULL CHECK (mode IN ('prepaid', 'postpaid')),
    name            TEXT,
    org_id          TEXT REFERENCES orgs(id),
    role            TEXT CHECK (role IN ('admin', 'member')),
    alert_enabled   INTEGER NOT NULL DEFAULT 0,
    alert_threshold TEXT,
    created_at      TEXT NOT NULL,
    CHECK ((org_id IS NULL) = (role IS NULL))
) STRICT;
CREATE UNIQUE INDEX accounts_one_admin_per_org ON accounts(org_id) WHERE role = 'admin';

-- The automatic charge and top-up rule of an account (SPEC §4). Settings, so updatable.
CREATE TABLE autopay_rules (
    account_id TEXT PRIMARY KEY REFERENCES accounts(id),
    trigger    TEXT NOT NULL,
    target     TEXT,
    card_label TEXT NOT NULL
) STRICT;

-- Products that may be paid only by some purses (SPEC §4: "cash or card only"), kept as data.
CREATE TABLE product_restrictions (
    account_id TEXT NOT NULL REFERENCES accounts(id),
    product    TEXT NOT NULL,
    allowed    TEXT NOT NULL, -- comma list of purse kinds: cash, card
    PRIMARY KEY (account_id, product)
) STRICT;

-- Bonus discount vouchers on a prepaid-card purchase, by tier (SPEC §3), kept as data.
CREATE TABLE card_bonus_tiers (
    min_purchase TEXT NOT NULL PRIMARY KEY,
    bonus        TEXT NOT NULL
) STRICT;
INSERT INTO card_bonus_tiers (min_purchase, bonus) VALUES
    ('10000', '1000'), ('30000', '5000'), ('100000', '20000');

-- Books: every place money can be. The account's purses (cash, complimentary, revenue, each
-- voucher, each prepaid card, each cash coupon), its holding books (frozen, withdrawing), what
-- it owes (arrears, whose balance is never above zero), and the outside world as seen from the
-- account (funding sources, the provider's grants, expense per account, lapsed credit).
CREATE TABLE books (
    id           INTEGER PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts(id),
    kind         TEXT NOT NULL CHECK (kind IN (
                     'cash', 'complimentary', 'revenue', 'voucher', 'card', 'coupon',
                     'frozen', 'withdrawing', 'arrears',
                     'funding', 'grants', 'expense', 'lapsed')),
    currency     TEXT NOT NULL,
    label        TEXT,            -- voucher/card/coupon number
    voucher_kind TEXT CHECK (voucher_kind IN ('regular', 'discount')),
    face_value   TEXT,
    products     TEXT,            -- voucher scope: comma list, NULL = every product
    valid_from   TEXT,
    valid_until  TEXT,
    created_at   TEXT NOT NULL
) STRICT;
-- One book of each singleton kind per account.
CREATE UNIQUE INDEX books_singletons ON books(account_id, kind)
    WHERE kind NOT IN ('voucher', 'card', 'coupon');
CREATE UNIQUE INDEX books_labels ON books(account_id, kind, label) WHERE label IS NOT NULL;

-- The journal. An entry is one movement; its postings sum to zero per currency (checked in
-- Rust before the insert, in the same transaction). Entries and postings are append-only:
-- the triggers below make the database itself refuse to change or delete them.
CREATE TABLE entries (
    id          INTEGER PRIMARY KEY,
    op_id       TEXT UNIQUE,      -- caller-supplied idempotency key
    fingerprint TEXT,             -- what the op id was used for, to refuse reuse for another op
    kind        TEXT NOT NULL,
    account_id  TEXT NOT NULL REFERENCES accounts(id),
    at          TEXT NOT NULL,
    ref         TEXT,             -- hold / withdrawal reference
    product     TEXT,
    memo        TEXT
) STRICT;
CREATE INDEX entries_account_at ON entries(account_id, at);
CREATE UNIQUE INDEX entries_open_ref ON entries(ref) WHERE kind IN ('hold', 'withdraw');
CREATE UNIQUE INDEX entries_close_ref ON entries(ref)
    WHERE kind IN ('hold_post', 'hold_void', 'withdraw_complete', 'withdraw_cancel');

CREATE TABLE postings (
    id       INTEGER PRIMARY KEY,
    entry_id INTEGER NOT NULL REFERENCES entries(id),
    book_id  INTEGER NOT NULL REFERENCES books(id),
    amount   TEXT NOT NULL,
    currency TEXT NOT NULL,
    step     INTEGER NOT NULL DEFAULT 0 -- position in the deduction order, for "how it was paid"
) STRICT;
CREATE INDEX postings_book ON postings(book_id);
CREATE INDEX postings_entry ON postings(entry_id);

CREATE TRIGGER entries_append_only_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'journal entries are append-only: post a correcting entry instead'); END;
CREATE TRIGGER entries_append_only_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'journal entries are append-only: post a correcting entry instead'); END;
CREATE TRIGGER postings_append_only_update BEFORE UPDATE ON postings
BEGIN SELECT RAISE(ABORT, 'postings are append-only: post a correcting entry instead'); END;
CREATE TRIGGER postings_append_only_delete BEFORE DELETE ON postings
BEGIN SELECT RAISE(ABORT, 'postings are append-only: post a correcting entry instead'); END;

-- Things that happened without moving money: a declined automatic charge, an invoice issued.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    at         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    amount     TEXT,
    detail     TEXT
) STRICT;
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

-- Resources that renew (SPEC §5 renewals). State, not money: kept current by upsert.
CREATE TABLE resources (
    id         TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    product    TEXT NOT NULL,
    region     TEXT,
    expires_at TEXT NOT NULL,
    auto_renew INTEGER NOT NULL DEFAULT 0,
    status     TEXT NOT NULL CHECK (status IN ('running', 'expired', 'frozen')),
    PRIMARY KEY (account_id, id)
) STRICT;

-- Invoices requested from the provider against cash paid (the overview's invoiceable figure).
CREATE TABLE invoices_requested (
    id         INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    at         TEXT NOT NULL,
    amount     TEXT NOT NULL,
    op_id      TEXT UNIQUE
) STRICT;
