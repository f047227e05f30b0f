-- Billfold ledger, schema 4: the running balance of every book, kept beside the journal.
--
-- A cache, not a record: it is derived from `postings` (the only truth), updated in Rust in the
-- same transaction as every posting (ledger::journal::write), rebuilt from the postings when this
-- migration runs, and checked against them by the property tests. It makes "the balance now"
-- cost one row per book instead of a scan of the book's history.
CREATE TABLE book_balances (
    book_id  INTEGER PRIMARY KEY REFERENCES books(id),
    balance  TEXT NOT NULL,
    postings INTEGER NOT NULL,
    last_at  TEXT NOT NULL  -- time of the book's latest entry (for the chronology check)
) STRICT;
CREATE INDEX entries_at ON entries(at);
