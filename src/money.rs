//! Money: an exact `Decimal` with its ISO 4217 currency.
//!
//! The one rule of this module: nothing here rounds unless the caller asks for a figure a
//! person reads or pays, and then it rounds to the currency's minor unit, half away from zero
//! (`rust_decimal`'s bare `round_dp` is banker's rounding, so it is never called bare).

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// An ISO 4217 currency code: three ASCII capital letters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);

impl Currency {
    pub fn parse(code: &str) -> Result<Self> {
        let code = code.trim();
        if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Currency(code.to_string()))
        } else {
            Err(Error::invalid(format!(
                "'{code}' is not a currency code: expected three capital letters such as USD or CNY"
            )))
        }
    }

    pub fn code(&self) -> &str {
        &self.0
    }

    /// Digits after the decimal point of the currency's minor unit (ISO 4217 exponent).
    pub fn minor_units(&self) -> u32 {
        match self.0.as_str() {
            "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "UGX" | "XAF" | "XOF" | "PYG" | "KMF"
            | "RWF" | "VUV" | "XPF" | "GNF" | "DJF" | "BIF" => 0,
            "BHD" | "KWD" | "OMR" | "JOD" | "IQD" | "LYD" | "TND" => 3,
            _ => 2,
        }
    }
}

impl TryFrom<String> for Currency {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Currency::parse(&s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.0
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses a decimal amount as a person or a file writes it: optional sign, digits, optional
/// fraction. No exponents, no thousands separators, no currency symbols: those are refused
/// rather than guessed.
pub fn parse_amount(text: &str) -> Result<Decimal> {
    let t = text.trim();
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    let valid = !body.is_empty()
        && body.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && body.bytes().filter(|&b| b == b'.').count() <= 1
        && body.bytes().any(|b| b.is_ascii_digit());
    if !valid {
        return Err(Error::invalid(format!(
            "'{text}' is not an amount: expected a decimal number such as 100 or 12.50"
        )));
    }
    exact_from_str(t).ok_or_else(|| {
        Error::invalid(format!(
            "'{text}' is not an amount Billfold can hold exactly (at most 28 significant \
             digits and 28 decimal places)"
        ))
    })
}

/// A plain decimal number's text (sign, digits, fraction) as a `Decimal`, exactly, or `None`
/// when a `Decimal` cannot hold it. `Decimal::from_str` would round a 29th decimal place away
/// without a word; `from_str_exact` refuses it, so the zeros that end a fraction are dropped
/// first when it does (`0.00000000000000000000000000010` is 10⁻²⁸, which fits).
pub fn exact_from_str(t: &str) -> Option<Decimal> {
    Decimal::from_str_exact(t).ok().or_else(|| {
        let trimmed = match t.contains('.') {
            true => t.trim_end_matches('0').trim_end_matches('.'),
            false => t,
        };
        Decimal::from_str_exact(trimmed).ok()
    })
}

/// Parses an amount that must be strictly positive (what an operation moves).
pub fn parse_positive(text: &str) -> Result<Decimal> {
    let d = parse_amount(text)?;
    if d <= Decimal::ZERO {
        return Err(Error::invalid(format!("'{text}' must be more than zero")));
    }
    Ok(d)
}

/// Rounds to the currency's minor unit, half away from zero: for totals a person reads or pays.
pub fn round_for_display(amount: Decimal, currency: &Currency) -> Decimal {
    amount.round_dp_with_strategy(
        currency.minor_units(),
        RoundingStrategy::MidpointAwayFromZero,
    )
}

/// A figure as a sentence shows it: rounded to the minor unit (half away from zero), grouped
/// by thousands, with its code: `-1,234.50 USD`. (The UI formats per locale itself.)
pub fn display(amount: Decimal, currency: &Currency) -> String {
    let mut r = round_for_display(amount, currency);
    r.rescale(currency.minor_units());
    let text = r.abs().to_string();
    let (int, frac) = text
        .split_once('.')
        .map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let sign = if r.is_sign_negative() && !r.is_zero() {
        "-"
    } else {
        ""
    };
    match frac {
        Some(f) => format!("{sign}{grouped}.{f} {currency}"),
        None => format!("{sign}{grouped} {currency}"),
    }
}

/// `a + b` exactly, or `None` when `Decimal`'s 96-bit mantissa (28–29 significant digits)
/// cannot hold it. `checked_add` alone is not enough: where the sum needs more digits than
/// the mantissa has, it drops decimal places, rounding (`1E18 + 1E-28` is `1E18`), and fails
/// only when the integer part itself overflows. A sum kept at fewer decimal places than an
/// addend needs was rounded, so it is refused (conservatively: digits that happened to cancel
/// out are refused too, at the very edge of what a `Decimal` holds).
pub fn exact_add(a: Decimal, b: Decimal) -> Option<Decimal> {
    let r = a.checked_add(b)?;
    if r.scale() >= a.scale().max(b.scale()) {
        return Some(r); // no decimal place dropped: the common case, no division
    }
    (r.scale() >= a.normalize().scale().max(b.normalize().scale())).then_some(r)
}

/// `a + b` for a total, or a refusal when it cannot be kept exactly ([`exact_add`]): a total is
/// never silently wrong, and a ledger whose sums reach that is refused with a sentence instead
/// of a panic.
pub fn add(a: Decimal, b: Decimal) -> Result<Decimal> {
    exact_add(a, b).ok_or_else(|| {
        Error::refused(format!(
            "a total exceeds 28 significant digits ({a} + {b}) and cannot be kept exactly"
        ))
    })
}

/// The exact sum of `amounts` ([`add`]), where `Iterator::sum` would panic on overflow and
/// round where decimal places do not fit.
pub fn sum(amounts: impl IntoIterator<Item = Decimal>) -> Result<Decimal> {
    amounts.into_iter().try_fold(Decimal::ZERO, add)
}

/// The canonical text of an amount: exact, no trailing zeros beyond what it carries, never
/// exponent notation. This is what the store and the JSON contract hold.
pub fn to_text(amount: Decimal) -> String {
    amount.normalize().to_string()
}

/// Serde helpers: a `Decimal` crosses every boundary (JSON to the CLI's reader and the UI) as
/// its exact canonical text, never as a JSON number a reader might parse into a float.
pub mod text {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::to_text(*d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let t = String::deserialize(d)?;
        super::parse_amount(&t).map_err(serde::de::Error::custom)
    }
}

/// [`text`] for an optional amount (`null` when none).
pub mod text_opt {
    use rust_decimal::Decimal;
    use serde::Serializer;

    pub fn serialize<S: Serializer>(d: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&super::to_text(*d)),
            None => s.serialize_none(),
        }
    }
}

/// An amount with its currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub amount: Decimal,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Money { amount, currency }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}",
            round_for_display(self.amount, &self.currency),
            self.currency
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn an_amount_typed_is_held_exactly_or_refused() {
        assert!(parse_amount("0.12345678901234567890123456789").is_err());
        assert!(parse_amount("1.123456789012345678901234567891").is_err());
        assert_eq!(
            parse_amount("0.1234567890123456789012345678").unwrap(),
            d("0.1234567890123456789012345678")
        );
        assert_eq!(
            parse_amount("12.500000000000000000000000000000").unwrap(),
            d("12.5")
        );
        assert_eq!(parse_amount("-3").unwrap(), d("-3"));
    }

    #[test]
    fn exact_add_refuses_what_checked_add_rounds() {
        // `checked_add` drops the 1E-28 and says nothing.
        let (big, tiny) = (
            d("1000000000000000000"),
            d("0.0000000000000000000000000001"),
        );
        assert_eq!(big.checked_add(tiny), Some(big));
        assert_eq!(exact_add(big, tiny), None);
        assert_eq!(exact_add(Decimal::MAX, Decimal::ONE), None);
        // Exact sums pass, trailing zeros or not, at any magnitude that fits.
        assert_eq!(exact_add(d("0.5"), d("0.5")), Some(d("1.0")));
        assert_eq!(exact_add(d("1.10"), d("2")), Some(d("3.10")));
        assert_eq!(exact_add(Decimal::MAX, d("0.000")), Some(Decimal::MAX));
        assert_eq!(exact_add(Decimal::MAX, -Decimal::MAX), Some(Decimal::ZERO));
        let x = d("1234567890.1234567890123456789");
        assert_eq!(exact_add(x, -x), Some(Decimal::ZERO));
        assert_eq!(sum([d("0.1"), d("0.2"), d("-0.3")]).unwrap(), Decimal::ZERO);
        assert!(sum([Decimal::MAX, Decimal::MAX]).is_err());
    }

    #[test]
    fn rounds_half_away_from_zero_not_to_even() {
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(round_for_display(d("2.345"), &usd), d("2.35"));
        assert_eq!(round_for_display(d("2.355"), &usd), d("2.36"));
        assert_eq!(round_for_display(d("-2.345"), &usd), d("-2.35"));
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(round_for_display(d("2.5"), &jpy), d("3"));
    }

    #[test]
    fn refuses_what_is_not_a_plain_decimal() {
        for bad in ["", "1e3", "1,000", "$5", "1.2.3", "abc", "-", "."] {
            assert!(parse_amount(bad).is_err(), "{bad} should be refused");
        }
        assert_eq!(parse_amount(" 0.0000000001 ").unwrap(), d("0.0000000001"));
        assert_eq!(parse_amount("-12.50").unwrap(), d("-12.5"));
        assert!(parse_positive("0").is_err());
    }

    #[test]
    fn display_rounds_groups_and_signs() {
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(display(d("1234567.005"), &usd), "1,234,567.01 USD");
        assert_eq!(display(d("-3"), &usd), "-3.00 USD");
        assert_eq!(display(d("-0.001"), &usd), "0.00 USD");
        assert_eq!(
            display(d("999"), &Currency::parse("JPY").unwrap()),
            "999 JPY"
        );
    }

    #[test]
    fn canonical_text_is_exact() {
        assert_eq!(to_text(d("12.500")), "12.5");
        assert_eq!(to_text(d("0.0000000001")), "0.0000000001");
        assert_eq!(to_text(d("100")), "100");
    }

    #[test]
    fn currency_codes() {
        assert!(Currency::parse("usd").is_err());
        assert!(Currency::parse("US").is_err());
        assert_eq!(Currency::parse("CNY").unwrap().minor_units(), 2);
    }
}
