-- The revenue-share account as a payment part of a bill line (Tencent's 分成金账户支出), and
-- what a review mark's lines billed when it was put (a later bill that moves it is flagged).
-- Appended, not edited into 0002/0003: ledgers made before it exist.
ALTER TABLE cost_lines ADD COLUMN paid_revenue BLOB;
ALTER TABLE bill_settlements ADD COLUMN revenue TEXT NOT NULL DEFAULT '0';
ALTER TABLE annotations ADD COLUMN billed TEXT;    -- exact text, in `currency`
ALTER TABLE annotations ADD COLUMN currency TEXT;
