//! Kubernetes resource quantities (`500m`, `4Gi`, `1.5`, `2e3`) as exact rationals.
//!
//! Only what raycc needs: rounding up to a whole number the way Go's
//! `resource.Quantity.Value()` does (KubeRay uses it for `--num-cpus`, `--memory` and
//! `--num-gpus`), telling zero from non-zero, and, as [`Amount`], the sums and products of
//! Go's `Quantity` written back in its canonical form (the batch schedulers' PodGroup sizes).
//! Parsing never panics; a string that is not a quantity, or one too large for 128-bit
//! arithmetic, gives `None`.

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

/// How Go's `resource.Quantity` writes a value: in the format of its suffix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// No suffix or a decimal SI one (`500m`, `2k`, `3`).
    DecimalSi,
    /// A binary SI suffix (`512Mi`).
    BinarySi,
    /// A decimal exponent (`1e3`).
    DecimalExponent,
}

/// A quantity with Go's `resource.Quantity` arithmetic, for sums that must read as the
/// operator's: the value in nano-units (Go rounds every parsed value up to a nano, away from
/// zero) and the format of its suffix, which `Add` takes from the other operand when the
/// receiver is zero and `Mul` keeps. [`Amount::canonical`] writes it as Go's `String()` does.
/// Arithmetic is checked: `None` means the value no longer fits raycc's 128 bits (Go would
/// switch to arbitrary precision; no real resource list gets there).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Amount {
    nanos: i128,
    format: Format,
}

const NANOS: i128 = 1_000_000_000;

impl Amount {
    /// Parses a quantity as Go's `resource.ParseQuantity` does. Mirrors `ParseQuantity`
    /// (k8s.io/apimachinery/pkg/api/resource/quantity.go): values are rounded up to a nano,
    /// and a binary-suffixed value below 1 is written in decimal.
    #[must_use]
    pub fn parse(text: &str) -> Option<Amount> {
        let q = Quantity::parse(text)?;
        let body = text.trim().trim_start_matches(['+', '-']);
        let suffix = body.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
        let mut format = if suffix.starts_with(['e', 'E']) {
            Format::DecimalExponent
        } else if suffix.ends_with('i') {
            Format::BinarySi
        } else {
            Format::DecimalSi
        };
        let scaled = q.num.checked_mul(NANOS)?;
        let mut nanos = scaled / q.den;
        if scaled % q.den != 0 {
            nanos += scaled.signum();
        }
        if format == Format::BinarySi && nanos.abs() < NANOS {
            format = Format::DecimalSi;
        }
        Some(Amount { nanos, format })
    }

    /// `self + other`. Mirrors `Quantity.Add`: a zero receiver takes the other's format.
    #[must_use]
    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        Some(Amount {
            nanos: self.nanos.checked_add(other.nanos)?,
            format: if self.nanos == 0 {
                other.format
            } else {
                self.format
            },
        })
    }

    /// `self × n`. Mirrors `Quantity.Mul`, which keeps the format.
    #[must_use]
    pub fn checked_mul(self, n: i64) -> Option<Amount> {
        Some(Amount {
            nanos: self.nanos.checked_mul(i128::from(n))?,
            format: self.format,
        })
    }

    /// The canonical text. Mirrors `Quantity.String` and `CanonicalizeBytes`
    /// (k8s.io/apimachinery/pkg/api/resource): binary values below 1024 or with a fraction are
    /// written in decimal; decimal values drop trailing zeros and take the SI suffix of the
    /// nearest lower multiple-of-three exponent (`768m`, `1280m`, `2`, `1500k`).
    #[must_use]
    pub fn canonical(self) -> String {
        if self.nanos == 0 {
            return "0".to_string();
        }
        let mut format = self.format;
        if format == Format::BinarySi
            && (self.nanos.abs() < 1024 * NANOS || self.nanos % NANOS != 0)
        {
            format = Format::DecimalSi;
        }
        if format == Format::BinarySi {
            let mut n = self.nanos / NANOS;
            let mut exp = 0;
            while exp < 6 && n % 1024 == 0 {
                n /= 1024;
                exp += 1;
            }
            let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][exp];
            return format!("{n}{suffix}");
        }
        let mut mantissa = self.nanos;
        let mut exp: i32 = -9;
        while mantissa % 10 == 0 {
            mantissa /= 10;
            exp += 1;
        }
        match exp.rem_euclid(3) {
            1 => {
                mantissa *= 10;
                exp -= 1;
            }
            2 => {
                mantissa *= 100;
                exp -= 2;
            }
            _ => {}
        }
        let suffix = match (format, exp) {
            (_, 0) => String::new(),
            (Format::DecimalSi, -9) => "n".into(),
            (Format::DecimalSi, -6) => "u".into(),
            (Format::DecimalSi, -3) => "m".into(),
            (Format::DecimalSi, 3) => "k".into(),
            (Format::DecimalSi, 6) => "M".into(),
            (Format::DecimalSi, 9) => "G".into(),
            (Format::DecimalSi, 12) => "T".into(),
            (Format::DecimalSi, 15) => "P".into(),
            (Format::DecimalSi, 18) => "E".into(),
            (_, e) => format!("e{e}"),
        };
        format!("{mantissa}{suffix}")
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

    fn sum(parts: &[&str]) -> String {
        parts
            .iter()
            .map(|p| Amount::parse(p).unwrap())
            .reduce(|a, b| a.checked_add(b).unwrap())
            .unwrap()
            .canonical()
    }

    #[test]
    fn writes_amounts_as_go_canonicalizes_them() {
        for (text, canonical) in [
            ("0", "0"),
            ("1000m", "1"),
            ("0.5", "500m"),
            ("1.5", "1500m"),
            ("1024Mi", "1Gi"),
            ("1.5Gi", "1536Mi"),
            ("1536", "1536"),
            ("2000", "2k"),
            ("1e3", "1e3"),
            ("1.5e3", "1500"),
            ("100Mi", "100Mi"),
            ("0.5Ki", "512"),
            ("1n", "1n"),
            ("0.1n", "1n"),
            ("12345678m", "12345678m"),
            ("10G", "10G"),
            ("3Ki", "3Ki"),
        ] {
            assert_eq!(
                Amount::parse(text).unwrap().canonical(),
                canonical,
                "{text}"
            );
        }
    }

    #[test]
    fn sums_and_multiplies_like_go_quantities() {
        assert_eq!(sum(&["256m", "256m", "256m"]), "768m");
        assert_eq!(sum(&["256Mi", "256Mi", "256Mi"]), "768Mi");
        assert_eq!(sum(&["500m", "1"]), "1500m");
        // The first operand's format wins, unless it is zero.
        assert_eq!(sum(&["1", "512Mi"]), "536870913");
        assert_eq!(sum(&["512Mi", "1"]), "536870913");
        assert_eq!(sum(&["0", "512Mi"]), "512Mi");
        assert_eq!(sum(&["1Gi", "512Mi"]), "1536Mi");
        let q = Amount::parse("256m").unwrap();
        assert_eq!(q.checked_mul(5).unwrap().canonical(), "1280m");
        assert_eq!(q.checked_mul(0).unwrap().canonical(), "0");
        assert_eq!(
            Amount::parse("1")
                .unwrap()
                .checked_mul(4)
                .unwrap()
                .canonical(),
            "4"
        );
    }

    #[test]
    fn survives_huge_numbers() {
        assert_eq!(Quantity::parse("99999999999999999999999999999999999"), None);
        assert_eq!(ceil("9Ei"), i64::MAX);
    }
}
