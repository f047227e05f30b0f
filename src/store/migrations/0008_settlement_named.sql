-- Billfold ledger, schema 8: what an export said of how a month's service was paid, beyond
-- the amounts.
--
-- `import --settle` settles a newer export of a month again only when it says something else.
-- The amounts alone do not tell: which payment cells were empty and which held a zero decides
-- how the part the split does not cover is paid (the kinds the file names pay last). `named`
-- is a bitmask of the kinds named (bit i: the i-th of coupon, voucher, complimentary, card,
-- cash, arrears, revenue), on the rows of a settlement; NULL on reversals and on settlements
-- recorded before schema 8, which are then compared by their amounts alone, as they were.
ALTER TABLE bill_settlements ADD COLUMN named INTEGER;
