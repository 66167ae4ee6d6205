//! Writing numbers the way a person writes them.
//!
//! A value whose shortest round-trip decimal is short (what a user types, and what exact
//! arithmetic on such values usually gives) is written exactly: `3`, `−2`, `0.5`, `0.125`.
//! A long one (`0.30000000000000004`, `1/3`, `σ(3)`) is rounded to [`SIGNIFICANT_DIGITS`]
//! significant digits, and the caller is told so that it can print `≈`.

use core::cell::RefCell;
use core::fmt::Write;

/// Significant digits kept when a value has to be rounded.
pub const SIGNIFICANT_DIGITS: usize = 6;

/// A value whose shortest decimal has at most this many significant digits is written exactly.
const EXACT_DIGITS: usize = 10;

/// Decimal exponents written in plain positional notation; outside them, `1.5e−9`.
const PLAIN_EXPONENTS: core::ops::RangeInclusive<i32> = -6..=15;

/// Entries of the cache of written numbers: a derivation prints the same few values (an
/// input entry, a weight, a `δ`) many times over, and writing a double is the costly part of
/// rendering one.
const CACHE_ENTRIES: usize = 1024;

/// A cached number: the bits of the value, its text, and whether the text is rounded.
type Written = Option<(u64, Box<str>, bool)>;

std::thread_local! {
    /// Recently written numbers by their bits, direct-mapped: bounded, and never stale, since
    /// the text of a value never changes.
    static WRITTEN: RefCell<Vec<Written>> =
        RefCell::new(vec![None; CACHE_ENTRIES]);
}

/// Appends `value` to `out` with a real minus sign (`−`); returns whether it was rounded.
pub(crate) fn write_f64(value: f64, out: &mut String) -> bool {
    let bits = value.to_bits();
    // Fibonacci hashing of the bits onto the cache's slots.
    #[allow(clippy::cast_possible_truncation)]
    let slot = (bits.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 54) as usize % CACHE_ENTRIES;
    let hit = WRITTEN.with_borrow(|cache| match &cache[slot] {
        Some((b, text, rounded)) if *b == bits => {
            out.push_str(text);
            Some(*rounded)
        }
        _ => None,
    });
    if let Some(rounded) = hit {
        return rounded;
    }
    let mut text = String::new();
    let rounded = write_uncached(value, &mut text);
    out.push_str(&text);
    WRITTEN.with_borrow_mut(|cache| cache[slot] = Some((bits, text.into_boxed_str(), rounded)));
    rounded
}

fn write_uncached(value: f64, out: &mut String) -> bool {
    if value.is_nan() {
        out.push_str("NaN");
        return false;
    }
    if value < 0.0 {
        out.push('−');
    }
    let magnitude = value.abs();
    if magnitude.is_infinite() {
        out.push('∞');
        return false;
    }
    if magnitude == 0.0 {
        out.push('0');
        return false;
    }
    let (digits, exponent) = shortest_digits(magnitude);
    let whole = magnitude.fract() == 0.0 && magnitude < 1e15;
    let rounded = !(digits <= EXACT_DIGITS || whole);
    let shown = if rounded { round_significant(magnitude) } else { magnitude };
    // A whole number below 1e15 always has a plain exponent.
    if PLAIN_EXPONENTS.contains(&exponent) {
        let _ = write!(out, "{shown}");
    } else {
        let scientific = format!("{shown:e}");
        out.push_str(&scientific.replace('-', "−"));
    }
    rounded
}

/// The number of significant digits of the shortest round-trip decimal, and its exponent.
fn shortest_digits(magnitude: f64) -> (usize, i32) {
    let scientific = format!("{magnitude:e}");
    let (mantissa, exponent) =
        scientific.split_once('e').expect("`{:e}` always writes an exponent");
    let digits = mantissa.bytes().filter(u8::is_ascii_digit).count();
    (digits, exponent.parse().expect("`{:e}` writes a whole exponent"))
}

/// The double nearest to `magnitude` rounded to [`SIGNIFICANT_DIGITS`] significant digits.
fn round_significant(magnitude: f64) -> f64 {
    format!("{magnitude:.prec$e}", prec = SIGNIFICANT_DIGITS - 1)
        .parse()
        .expect("`{:e}` output parses back")
}

#[cfg(test)]
mod tests {
    use super::write_f64;

    fn show(value: f64) -> (String, bool) {
        let mut out = String::new();
        let rounded = write_f64(value, &mut out);
        (out, rounded)
    }

    #[test]
    fn short_values_are_exact() {
        for (value, text) in [
            (3.0, "3"),
            (-2.0, "−2"),
            (0.5, "0.5"),
            (-0.0, "0"),
            (0.125, "0.125"),
            (1e-6, "0.000001"),
            (123_456_789_012.0, "123456789012"),
            (0.123_456_789, "0.123456789"),
        ] {
            assert_eq!(show(value), (text.to_owned(), false), "{value:?}");
        }
    }

    #[test]
    fn long_values_are_rounded_to_six_significant_digits() {
        for (value, text) in [
            (0.1 + 0.2, "0.3"),
            (1.0 / 3.0, "0.333333"),
            (-2.0 / 3.0, "−0.666667"),
            (1.0 / (1.0 + (-3.0_f64).exp()), "0.952574"),
            (2.999_999_999_999_999_6, "3"),
            (1.0 / 3.0e9, "3.33333e−10"),
            (1e20 / 3.0, "3.33333e19"),
        ] {
            assert_eq!(show(value), (text.to_owned(), true), "{value:?}");
        }
    }

    #[test]
    fn non_finite_values_are_named() {
        assert_eq!(show(f64::NAN).0, "NaN");
        assert_eq!(show(f64::INFINITY).0, "∞");
        assert_eq!(show(f64::NEG_INFINITY).0, "−∞");
    }
}
