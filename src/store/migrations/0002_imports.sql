-- Billfold ledger, schema 2: imported bill files (issue 3). Append-only: never edit, add the next.
--
-- Every imported file is one row of `imports`, keyed by the SHA-256 of its bytes (a file imported
-- twice adds nothing). A file's lines are cut into slices (provider, billing account, month);
-- `import_slices` says which import currently provides each slice and whether that month is
-- provisional or final. A newer export of a slice replaces the older one's lines atomically.

CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    sha256      TEXT NOT NULL UNIQUE,  -- hex digest of the file's bytes (compressed bytes for .gz)
    file_name   TEXT NOT NULL,         -- the file's name as imported (no directory)
    format      TEXT NOT NULL,         -- focus-1.0 .. focus-1.3, tencent, huawei
    header      TEXT NOT NULL,         -- JSON array of the header: names the values of cost_lines.raw
    rows        INTEGER NOT NULL,
    imported_at TEXT NOT NULL
) STRICT;

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

-- The import a cost line came from (NULL for lines recorded by the ledger itself). Lines of an
-- import are deleted only when a newer export of the same slice replaces them.
ALTER TABLE cost_lines ADD COLUMN import_id INTEGER REFERENCES imports(id);
