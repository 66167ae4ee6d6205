//! Writing numbers the way a person writes them.
//!
//! A value whose shortest round-trip decimal is short (what a user types, and what exact
//! arithmetic on such values usually gives) is written exactly: `3`, `−2`, `0.5`, `0.125`.
//! A long one (`0.30000000000000004`, `1/3`, `σ(3)`) is rounded to [`SIGNIFICANT_DIGITS`]
//! significant digits, or to more when a caller asks for them, and the caller is told that it
//! was rounded so that it can print `≈`.
//!
//! Every digit shown is significant: a rounded value too large to show its digits before the
//! decimal point is written in scientific notation (`1.23442·10⁷`, never `12344200`), as are
//! values far from 1 (`3.33333·10⁻¹⁰`, `1·10²⁰⁰`).

use core::cell::RefCell;

/// Significant digits kept when a value has to be rounded.
pub const SIGNIFICANT_DIGITS: usize = 6;

/// The significant digits that write any `f64` so that it reads back as itself: its shortest
/// round-trip decimal never has more.
pub(crate) const ROUND_TRIP_DIGITS: usize = 17;

/// The most significant digits an operand is ever written with. Past [`ROUND_TRIP_DIGITS`] a
/// value is written as the decimal expansion of its binary value, rounded: what it takes to
/// show a cancellation such as `y − t` with `y = 1.0000000000000015543…` exactly enough.
pub(crate) const MAX_DIGITS: usize = 40;

/// A value whose shortest decimal has at most this many significant digits is written exactly.
const EXACT_DIGITS: usize = 10;

/// The smallest decimal exponent written in plain positional notation (`0.000001`); below it,
/// `1.5·10⁻⁹`.
const PLAIN_LOW: i32 = -6;

/// The largest decimal exponent written in plain notation (`1000000000000000`); above it,
/// `1·10²⁰`. A rounded value is plain only while, besides, its digits reach the decimal point.
const PLAIN_HIGH: i32 = 15;

/// Entries of the cache of written numbers: a derivation prints the same few values (an
/// input entry, a weight, a `δ`) many times over, and writing a double is the costly part of
/// rendering one.
const CACHE_ENTRIES: usize = 1024;

/// A cached number: the bits of the value, its text, and what [`written`] gives for it.
type Written = Option<(u64, Box<str>, Decimal)>;

/// The decimal a text stands for, as `mantissa·10^exponent` (the digits written, as a whole
/// number, and the power of ten of the last one), and whether the text is rounded; no
/// mantissa for `∞`, `NaN` and the rare one of more digits than an `i128` holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Decimal {
    pub(crate) value: Option<(i128, i32)>,
    pub(crate) rounded: bool,
}

std::thread_local! {
    /// Recently written numbers at the default precision, by their bits, direct-mapped:
    /// bounded, and never stale, since the text of a value never changes. Initialized as a
    /// constant (empty until first used), so that a use costs no check of its initialization.
    static WRITTEN: RefCell<Vec<Written>> = const { RefCell::new(Vec::new()) };
}

/// Appends `value` to `out` with a real minus sign (`−`), rounded to [`SIGNIFICANT_DIGITS`]
/// if its shortest decimal is long; returns whether it was rounded.
pub(crate) fn write_f64(value: f64, out: &mut String) -> bool {
    cached(value, |text, _| out.push_str(text)).rounded
}

/// The decimal that [`write_f64_digits`] writes for `value`, without writing it: what an
/// equation's exact check reads, for every operand of every equation.
pub(crate) fn written(value: f64, digits: usize) -> Decimal {
    if digits <= SIGNIFICANT_DIGITS {
        return cached(value, |_, _| {});
    }
    write_uncached(value, digits.min(MAX_DIGITS), &mut String::new())
}

/// Looks `value` up in the cache of numbers written at the default precision (writing and
/// caching it if it is not there), and hands its text to `with`.
fn cached(value: f64, with: impl FnOnce(&str, Decimal)) -> Decimal {
    let bits = value.to_bits();
    // Fibonacci hashing of the bits onto the cache's slots.
    #[allow(clippy::cast_possible_truncation)]
    let slot = (bits.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 54) as usize % CACHE_ENTRIES;
    WRITTEN.with_borrow_mut(|cache| {
        if cache.is_empty() {
            cache.resize(CACHE_ENTRIES, None);
        }
        if let Some((b, text, decimal)) = &cache[slot]
            && *b == bits
        {
            with(text, *decimal);
            return *decimal;
        }
        let mut text = String::new();
        let decimal = write_uncached(value, SIGNIFICANT_DIGITS, &mut text);
        with(&text, decimal);
        cache[slot] = Some((bits, text.into_boxed_str(), decimal));
        decimal
    })
}

/// [`write_f64`] with `digits` significant digits (at least [`SIGNIFICANT_DIGITS`], at most
/// [`MAX_DIGITS`]) where it has to round: what an equation uses when six digits of its
/// operands cannot show how its result follows from them. Up to [`ROUND_TRIP_DIGITS`] a value
/// is at most its shortest round-trip decimal, which counts as exact; with more digits than
/// that, every value is written from the decimal expansion of its binary value (exact for
/// `0.5`, rounded for `0.1`).
pub(crate) fn write_f64_digits(value: f64, digits: usize, out: &mut String) -> bool {
    if digits <= SIGNIFICANT_DIGITS {
        return write_f64(value, out);
    }
    write_uncached(value, digits.min(MAX_DIGITS), out).rounded
}

/// Writes `value` and says what decimal the text stands for.
fn write_uncached(value: f64, digits: usize, out: &mut String) -> Decimal {
    let not_finite = Decimal { value: None, rounded: false };
    if value.is_nan() {
        out.push_str("NaN");
        return not_finite;
    }
    if value < 0.0 {
        out.push('−');
    }
    let magnitude = value.abs();
    if magnitude.is_infinite() {
        out.push('∞');
        return not_finite;
    }
    if magnitude == 0.0 {
        out.push('0');
        return Decimal { value: Some((0, 0)), rounded: false };
    }
    let (text, exponent, rounded) = if digits > ROUND_TRIP_DIGITS {
        // The binary value's own decimal expansion: `0.2` is 0.2000000000000000111…, which is
        // what a cancellation such as `y − t` with `t = 0.2` needs to be shown.
        let (expansion, exponent) =
            decimal_digits(&format!("{magnitude:.prec$e}", prec = digits - 1));
        let rounded = expansion.len() >= digits;
        (expansion, exponent, rounded)
    } else {
        let (shortest, exponent) = decimal_digits(&format!("{magnitude:e}"));
        if shortest.len() <= EXACT_DIGITS.max(digits) {
            (shortest, exponent, false)
        } else {
            let (rounded, exponent) =
                decimal_digits(&format!("{magnitude:.prec$e}", prec = digits - 1));
            (rounded, exponent, true)
        }
    };
    write_digits(&text, exponent, rounded, digits, out);
    let last = exponent.saturating_sub(i32::try_from(text.len()).unwrap_or(i32::MAX) - 1);
    let mantissa = text.parse::<i128>().ok().map(|m| if value < 0.0 { -m } else { m });
    Decimal { value: mantissa.map(|m| (m, last)), rounded }
}

/// Writes the significant digits `digits` of a magnitude whose leading digit has the decimal
/// exponent `exponent`, in plain notation where that shows only significant digits (`216900`
/// rounded to six digits, `123456789012345` exactly) and as `d.ddd·10ⁿ` otherwise
/// (`1.23442·10⁷`, not `12344200`). `rounded` says whether the digits are a rounding to
/// `precision` significant digits.
pub(crate) fn write_digits(
    digits: &str,
    exponent: i32,
    rounded: bool,
    precision: usize,
    out: &mut String,
) {
    let significant = i32::try_from(precision).unwrap_or(i32::MAX) - 1;
    let high = if rounded { significant.min(PLAIN_HIGH) } else { PLAIN_HIGH };
    layout(digits, exponent, (PLAIN_LOW..=high).contains(&exponent), out);
}

/// The significant digits (trailing zeros dropped) and the decimal exponent of a number
/// written by `{:e}`: `1.2500e3` is `("125", 3)`.
fn decimal_digits(scientific: &str) -> (String, i32) {
    let (mantissa, exponent) =
        scientific.split_once('e').expect("`{:e}` always writes an exponent");
    let mut digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    (digits, exponent.parse().expect("`{:e}` writes a whole exponent"))
}

/// Writes `0.d₁d₂… × 10^(exponent + 1)` in plain notation or as `d₁.d₂…·10ⁿ`.
fn layout(digits: &str, exponent: i32, plain: bool, out: &mut String) {
    if !plain {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push_str("·10");
        push_superscript(exponent, out);
        return;
    }
    if let Ok(point) = usize::try_from(exponent) {
        // `point + 1` digits before the decimal point, zeros where `digits` runs out.
        for k in 0..=point {
            out.push(char::from(*digits.as_bytes().get(k).unwrap_or(&b'0')));
        }
        if digits.len() > point + 1 {
            out.push('.');
            out.push_str(&digits[point + 1..]);
        }
    } else {
        out.push_str("0.");
        for _ in 1..exponent.unsigned_abs() {
            out.push('0');
        }
        out.push_str(digits);
    }
}

/// Superscript digits for an exponent: `⁻¹⁰`.
pub(crate) fn push_superscript(exponent: i32, out: &mut String) {
    const DIGITS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    if exponent < 0 {
        out.push('⁻');
    }
    for digit in exponent.unsigned_abs().to_string().bytes() {
        out.push(DIGITS[usize::from(digit - b'0')]);
    }
}

/// The value of a superscript digit (`⁷` is 7), or `None` for any other character.
pub(crate) fn superscript_digit(c: char) -> Option<u32> {
    match c {
        '⁰' => Some(0),
        '¹' => Some(1),
        '²' => Some(2),
        '³' => Some(3),
        c @ '⁴'..='⁹' => Some(u32::from(c) - u32::from('⁴') + 4),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_DIGITS, superscript_digit, write_f64, write_f64_digits};

    fn show(value: f64) -> (String, bool) {
        let mut out = String::new();
        let rounded = write_f64(value, &mut out);
        (out, rounded)
    }

    fn show_digits(value: f64, digits: usize) -> (String, bool) {
        let mut out = String::new();
        let rounded = write_f64_digits(value, digits, &mut out);
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
            (9_999_899_999.0, "9999899999"),
            (0.123_456_789, "0.123456789"),
            (4968.75, "4968.75"),
            (1e15, "1000000000000000"),
            (1e20, "1·10²⁰"),
            (-1.5e-9, "−1.5·10⁻⁹"),
            (1e200, "1·10²⁰⁰"),
            (5e-324, "5·10⁻³²⁴"),
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
            (1.0 / 3.0e9, "3.33333·10⁻¹⁰"),
            (1e20 / 3.0, "3.33333·10¹⁹"),
            (216_900.402_123_456_7, "216900"),
            (216_900.871_123_456_7, "216901"),
            // A whole number is no exception: twelve digits are long.
            (123_456_789_012.0, "1.23457·10¹¹"),
        ] {
            assert_eq!(show(value), (text.to_owned(), true), "{value:?}");
        }
    }

    #[test]
    fn rounded_values_never_show_digits_that_are_not_significant() {
        // 12344238.28125 has 13 significant digits; six of them are 1.23442·10⁷, and
        // `12344200` would pass its last two zeros off as exact.
        assert_eq!(show(12_344_238.281_25), ("1.23442·10⁷".to_owned(), true));
        assert_eq!(show(-999_990_000.123_456_7), ("−9.9999·10⁸".to_owned(), true));
        // Rounding up to the next power of ten.
        assert_eq!(show(999_999.712_345_678), ("1·10⁶".to_owned(), true));
        assert_eq!(show(99_999.971_234_567_8), ("100000".to_owned(), true));
    }

    #[test]
    fn more_digits_where_asked_up_to_the_round_trip_form() {
        let y = 1.0 / (1.0 + (-17.0_f64).exp());
        assert_eq!(show(y), ("1".to_owned(), true));
        assert_eq!(show_digits(y, 9), ("0.999999959".to_owned(), true));
        assert_eq!(show_digits(y, 17), (format!("{y}"), false));
        assert_eq!(show_digits(12_344_238.281_25, 8), ("12344238".to_owned(), true));
        assert_eq!(show_digits(12_344_238.281_25, 9), ("12344238.3".to_owned(), true));
        assert_eq!(show_digits(0.5, 12), ("0.5".to_owned(), false));
        // Past the round-trip form: the binary value's own digits.
        let y = 1.000_000_000_000_001_6;
        assert_eq!(show_digits(y, 17), ("1.0000000000000016".to_owned(), false));
        assert_eq!(show_digits(y, 22), ("1.000000000000001554312".to_owned(), true));
        assert_eq!(
            show_digits(y, MAX_DIGITS),
            ("1.000000000000001554312234475219156593084".to_owned(), true)
        );
        // Up to the round-trip form a short decimal is what the user wrote; past it, it is the
        // binary value f64 holds for it.
        assert_eq!(show_digits(0.1, 17), ("0.1".to_owned(), false));
        assert_eq!(show_digits(0.1, 22), ("0.1000000000000000055511".to_owned(), true));
        assert_eq!(show_digits(0.5, MAX_DIGITS), ("0.5".to_owned(), false));
    }

    #[test]
    fn non_finite_values_are_named() {
        assert_eq!(show(f64::NAN).0, "NaN");
        assert_eq!(show(f64::INFINITY).0, "∞");
        assert_eq!(show(f64::NEG_INFINITY).0, "−∞");
    }

    #[test]
    fn superscripts_read_back() {
        let digits: Vec<Option<u32>> = "⁰¹²³⁴⁵⁶⁷⁸⁹x".chars().map(superscript_digit).collect();
        let mut expected: Vec<Option<u32>> = (0..10).map(Some).collect();
        expected.push(None);
        assert_eq!(digits, expected);
    }
}
