-- What each settlement took in the deduction order for the part of a bill its stated payment
-- split (if any) does not cover, by kind of purse. A later export that lowers that part gives
-- it back to the kinds it came from, last taken first (arrears, cash, cards, complimentary
-- credit; vouchers' and coupons' parts as complimentary credit), instead of all to cash: a
-- card's money must never become withdrawable cash. Settlements made before this schema
-- recorded nothing here ('0'): what they took is given back to cash, as before.
ALTER TABLE bill_settlements ADD COLUMN ordered_coupon TEXT NOT NULL DEFAULT '0';
ALTER TABLE bill_settlements ADD COLUMN ordered_voucher TEXT NOT NULL DEFAULT '0';
ALTER TABLE bill_settlements ADD COLUMN ordered_complimentary TEXT NOT NULL DEFAULT '0';
ALTER TABLE bill_settlements ADD COLUMN ordered_card TEXT NOT NULL DEFAULT '0';
ALTER TABLE bill_settlements ADD COLUMN ordered_cash TEXT NOT NULL DEFAULT '0';
ALTER TABLE bill_settlements ADD COLUMN ordered_arrears TEXT NOT NULL DEFAULT '0';
