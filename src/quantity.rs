//! Kubernetes resource quantities (`500m`, `4Gi`, `1.5`, `2e3`) as exact rationals.
//!
//! Only what raycc needs: rounding up to a whole number the way Go's
//! `resource.Quantity.Value()` does (KubeRay uses it for `--num-cpus`, `--memory` and
//! `--num-gpus`), and telling zero from non-zero. Parsing never panics; a string that is not a
//! quantity, or one too large for 128-bit arithmetic, gives `None`.

/// An exact non-negative or negative rational `num / den`, `den > 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quantity {
    num: i128,
    den: i128,
}

impl Quantity {
    /// Parses the Kubernetes quantity grammar.
    #[must_use]
    pub fn parse(text: &str) -> Option<Quantity> {
        let s = text.trim();
        let (negative, s) = match s.as_bytes().first()? {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let number_end = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        let (number, suffix) = s.split_at(number_end);
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
        if int_part.len() + frac_part.len() > 30 {
            return None;
        }
        let mut num: i128 = 0;
        for b in int_part.bytes().chain(frac_part.bytes()) {
            num = num.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
        }
        let mut den: i128 = 10i128.checked_pow(u32::try_from(frac_part.len()).ok()?)?;
        let (mul, div) = suffix_factor(suffix)?;
        num = num.checked_mul(mul)?;
        den = den.checked_mul(div)?;
        if negative {
            num = -num;
        }
        Some(Quantity { num, den })
    }

    /// Rounds up to a whole number, like Go's `Quantity.Value()`; saturates at the i64 range.
    #[must_use]
    pub fn ceil(self) -> i64 {
        let q = self.num.div_euclid(self.den);
        let r = self.num.rem_euclid(self.den);
        let v = if r == 0 { q } else { q + 1 };
        i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
    }

    /// The value as the nearest float, like Go's `Quantity.AsApproximateFloat64()` (KubeRay
    /// uses it for custom Ray resources: `500m` is 0.5).
    #[must_use]
    #[allow(clippy::cast_precision_loss)] // Approximate by definition, as in Go.
    pub fn as_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// True when the quantity is exactly zero.
    #[must_use]
    pub fn is_zero(self) -> bool {
        self.num == 0
    }
}

/// The multiplier and divisor of a suffix.
fn suffix_factor(suffix: &str) -> Option<(i128, i128)> {
    let pow2 = |e: u32| 1i128 << e;
    let pow10 = |e: u32| 10i128.pow(e);
    Some(match suffix {
        "" => (1, 1),
        "n" => (1, pow10(9)),
        "u" => (1, pow10(6)),
        "m" => (1, pow10(3)),
        "k" => (pow10(3), 1),
        "M" => (pow10(6), 1),
        "G" => (pow10(9), 1),
        "T" => (pow10(12), 1),
        "P" => (pow10(15), 1),
        "E" => (pow10(18), 1),
        "Ki" => (pow2(10), 1),
        "Mi" => (pow2(20), 1),
        "Gi" => (pow2(30), 1),
        "Ti" => (pow2(40), 1),
        "Pi" => (pow2(50), 1),
        "Ei" => (pow2(60), 1),
        exp if exp.starts_with(['e', 'E']) => {
            let e: i32 = exp[1..].parse().ok()?;
            let p = 10i128.checked_pow(e.unsigned_abs())?;
            if e >= 0 { (p, 1) } else { (1, p) }
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ceil(s: &str) -> i64 {
        Quantity::parse(s).unwrap().ceil()
    }

    #[test]
    fn rounds_cpu_up_like_go() {
        assert_eq!(ceil("500m"), 1);
        assert_eq!(ceil("1"), 1);
        assert_eq!(ceil("1.5"), 2);
        assert_eq!(ceil("2000m"), 2);
    }

    #[test]
    fn converts_memory_to_bytes() {
        assert_eq!(ceil("5Gi"), 5_368_709_120);
        assert_eq!(ceil("1Gi"), 1_073_741_824);
        assert_eq!(ceil("512Mi"), 536_870_912);
        assert_eq!(ceil("1G"), 1_000_000_000);
        assert_eq!(ceil("1.5Gi"), 1_610_612_736);
        assert_eq!(ceil("2e3"), 2000);
    }

    #[test]
    fn rejects_what_is_not_a_quantity() {
        for bad in ["", "2 cores", "abc", "1..2", ".", "1Xi", "--1"] {
            assert_eq!(Quantity::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn approximates_fractions_as_floats() {
        assert!((Quantity::parse("500m").unwrap().as_f64() - 0.5).abs() < f64::EPSILON);
        assert!((Quantity::parse("1k").unwrap().as_f64() - 1000.0).abs() < f64::EPSILON);
        assert!((Quantity::parse("1.5").unwrap().as_f64() - 1.5).abs() < f64::EPSILON);
    }

    #[test]
    fn knows_zero() {
        assert!(Quantity::parse("0").unwrap().is_zero());
        assert!(!Quantity::parse("1m").unwrap().is_zero());
    }

    #[test]
    fn survives_huge_numbers() {
        assert_eq!(Quantity::parse("99999999999999999999999999999999999"), None);
        assert_eq!(ceil("9Ei"), i64::MAX);
    }
}
