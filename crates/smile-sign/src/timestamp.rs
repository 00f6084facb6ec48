//! Timestamps: the canonical format our SDK signs, and a parser for what servers send.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, macros::format_description};

/// The earliest instant [`format_timestamp`] can write (`0000-01-01T00:00:00.000Z`), as
/// nanoseconds relative to the Unix epoch.
const MIN_NANOS: i128 = -62_167_219_200 * 1_000_000_000;
/// The last instant [`format_timestamp`] can write (`9999-12-31T23:59:59.999Z`), as nanoseconds
/// relative to the Unix epoch.
const MAX_NANOS: i128 = 253_402_300_799_999 * 1_000_000;

/// Formats `at` as the timestamp our SDK signs and sends: RFC 3339 in UTC with exactly three
/// fraction digits and `Z`, `YYYY-MM-DDTHH:MM:SS.mmmZ` ([protocol §3.2](smile_types::protocol#32-timestamps-our-sdk-generates)).
///
/// Sub-millisecond precision is **truncated** towards the past, never rounded, so the text
/// never names an instant later than `at`. Instants outside the years 0000..=9999 (which RFC 3339
/// cannot express) are clamped to the nearest representable millisecond.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use smile_sign::format_timestamp;
///
/// let at = UNIX_EPOCH + Duration::from_secs(1_704_067_200) + Duration::from_micros(999_999);
/// assert_eq!(format_timestamp(at), "2024-01-01T00:00:00.999Z");
/// ```
#[must_use]
pub fn format_timestamp(at: SystemTime) -> String {
    let nanos = match at.duration_since(UNIX_EPOCH) {
        Ok(after) => i128::try_from(after.as_nanos()).unwrap_or(i128::MAX),
        Err(before) => i128::try_from(before.duration().as_nanos())
            .map(|n| -n)
            .unwrap_or(i128::MIN),
    };
    // Truncate towards the past to whole milliseconds, then clamp to 0000..=9999.
    let millis = nanos.div_euclid(1_000_000) * 1_000_000;
    let millis = millis.clamp(MIN_NANOS, MAX_NANOS);
    // Both bounds are inside `time`'s default range, so this cannot fail; fall back to the epoch
    // rather than panic if that ever changes.
    let dt =
        OffsetDateTime::from_unix_timestamp_nanos(millis).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    dt.format(&format)
        .unwrap_or_else(|_| String::from("1970-01-01T00:00:00.000Z"))
}

/// Why a timestamp could not be parsed by [`parse_timestamp`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TimestampError {
    /// The text is not an RFC 3339 date-time (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`).
    #[error("timestamp {value:?} is not an RFC 3339 date-time")]
    Invalid {
        /// The rejected text.
        value: String,
        /// What the parser found wrong.
        #[source]
        source: InvalidRfc3339,
    },
    /// The timestamp is valid RFC 3339 but this platform's [`SystemTime`] cannot represent it.
    #[error("timestamp {value:?} is outside the range of SystemTime on this platform")]
    OutOfRange {
        /// The rejected text.
        value: String,
    },
}

/// The detail of an invalid RFC 3339 timestamp (the source of [`TimestampError::Invalid`]).
#[derive(Debug)]
pub struct InvalidRfc3339(InvalidKind);

#[derive(Debug)]
enum InvalidKind {
    Separator,
    Parse(time::error::Parse),
}

impl std::fmt::Display for InvalidRfc3339 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            InvalidKind::Separator => f.write_str("the date and time must be separated by `T`"),
            InvalidKind::Parse(e) => std::fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for InvalidRfc3339 {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0 {
            InvalidKind::Parse(e) => Some(e),
            _ => None,
        }
    }
}

/// Parses an RFC 3339 timestamp as servers send it: a fraction of any length
/// ([protocol §9.2](smile_types::protocol#92-verifying-a-callback-our-sdks-verifier); digits beyond the ninth, below a nanosecond, are truncated), and `Z` or a numeric
/// offset (`+00:00`, `+01:00`, `-05:30`, ...). `T` and `Z` may be lower case, as RFC 3339
/// allows.
///
/// Use this to check freshness; never re-format a received timestamp to verify its signature
/// (the signature covers the text as received).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use smile_sign::parse_timestamp;
///
/// let a = parse_timestamp("2024-01-01T00:00:00.000Z")?;
/// let b = parse_timestamp("2024-01-01T01:00:00+01:00")?;
/// assert_eq!(a, b);
/// assert_eq!(a, UNIX_EPOCH + Duration::from_secs(1_704_067_200));
/// let long = parse_timestamp("2024-01-01T00:00:00.123456789999Z")?; // truncated to ns
/// assert_eq!(long, a + Duration::from_nanos(123_456_789));
/// assert!(parse_timestamp("1704067200000").is_err());
/// # Ok::<(), smile_sign::TimestampError>(())
/// ```
///
/// # Errors
///
/// [`TimestampError::Invalid`] when the text is not RFC 3339, [`TimestampError::OutOfRange`] when
/// it is but cannot be represented as a [`SystemTime`].
pub fn parse_timestamp(value: &str) -> Result<SystemTime, TimestampError> {
    let invalid = |kind| TimestampError::Invalid {
        value: value.to_owned(),
        source: InvalidRfc3339(kind),
    };
    let bytes = value.as_bytes();
    // `time` accepts any separator byte (RFC 3339 merely allows other separators as a note);
    // the SDK accepts only the `T` the grammar defines.
    if bytes.len() > 10 && !matches!(bytes[10], b'T' | b't') {
        return Err(invalid(InvalidKind::Separator));
    }
    // `time` reads a fraction of any length and drops the digits beyond the ninth
    // (truncation, not rounding), which is what §9.2 asks for.
    let dt = OffsetDateTime::parse(value, &Rfc3339).map_err(|e| invalid(InvalidKind::Parse(e)))?;
    let nanos = dt.unix_timestamp_nanos();
    let out_of_range = || TimestampError::OutOfRange {
        value: value.to_owned(),
    };
    let magnitude =
        u64::try_from(nanos.unsigned_abs() / 1_000_000_000).map_err(|_| out_of_range())?;
    // The remainder is below 10^9, so it always fits.
    let sub = u32::try_from(nanos.unsigned_abs() % 1_000_000_000).unwrap_or(0);
    let offset = Duration::new(magnitude, sub);
    if nanos >= 0 {
        UNIX_EPOCH.checked_add(offset)
    } else {
        UNIX_EPOCH.checked_sub(offset)
    }
    .ok_or_else(out_of_range)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64, nanos: u32) -> SystemTime {
        UNIX_EPOCH + Duration::new(secs, nanos)
    }

    #[test]
    fn formats_with_three_digits_and_z() {
        assert_eq!(
            format_timestamp(at(1_704_067_200, 0)),
            "2024-01-01T00:00:00.000Z"
        );
        assert_eq!(format_timestamp(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_timestamp(at(1_686_832_496, 789_000_000)),
            "2023-06-15T12:34:56.789Z"
        );
    }

    #[test]
    fn truncates_not_rounds() {
        assert_eq!(
            format_timestamp(at(1_704_067_200, 999_900_000)),
            "2024-01-01T00:00:00.999Z"
        );
        assert_eq!(
            format_timestamp(at(1_704_067_200, 999_999_999)),
            "2024-01-01T00:00:00.999Z"
        );
        assert_eq!(
            format_timestamp(at(1_704_067_200, 1_999_999)),
            "2024-01-01T00:00:00.001Z"
        );
        // The last millisecond of a leap day stays on that day.
        assert_eq!(
            format_timestamp(at(1_709_251_199, 999_999_999)),
            "2024-02-29T23:59:59.999Z"
        );
    }

    #[test]
    fn truncates_towards_the_past_before_the_epoch() {
        let t = UNIX_EPOCH - Duration::from_micros(1);
        assert_eq!(format_timestamp(t), "1969-12-31T23:59:59.999Z");
        let t = UNIX_EPOCH - Duration::from_millis(1500);
        assert_eq!(format_timestamp(t), "1969-12-31T23:59:58.500Z");
    }

    #[test]
    fn clamps_outside_four_digit_years() {
        let far = UNIX_EPOCH + Duration::from_secs(400_000_000_000);
        assert_eq!(format_timestamp(far), "9999-12-31T23:59:59.999Z");
        if let Some(early) = UNIX_EPOCH.checked_sub(Duration::from_secs(70_000_000_000)) {
            assert_eq!(format_timestamp(early), "0000-01-01T00:00:00.000Z");
        }
    }

    #[test]
    fn parses_fraction_lengths_and_offsets() {
        let base = at(1_704_067_200, 0);
        for s in [
            "2024-01-01T00:00:00Z",
            "2024-01-01T00:00:00.0Z",
            "2024-01-01T00:00:00.000Z",
            "2024-01-01T00:00:00.000000000Z",
            "2024-01-01T00:00:00.000+00:00",
            "2024-01-01T00:00:00-00:00",
            "2024-01-01T01:00:00+01:00",
            "2023-12-31T18:30:00-05:30",
            "2024-01-01t00:00:00z",
        ] {
            assert_eq!(parse_timestamp(s).unwrap(), base, "{s}");
        }
        assert_eq!(
            parse_timestamp("2024-01-01T00:00:00.5Z").unwrap(),
            at(1_704_067_200, 500_000_000)
        );
        assert_eq!(
            parse_timestamp("2024-01-01T00:00:00.123456789Z").unwrap(),
            at(1_704_067_200, 123_456_789)
        );
        assert_eq!(
            parse_timestamp("2025-01-02T03:04:05.678901+00:00").unwrap(),
            at(1_735_787_045, 678_901_000)
        );
    }

    #[test]
    fn parses_before_the_epoch() {
        assert_eq!(
            parse_timestamp("1969-12-31T23:59:59.250Z").unwrap(),
            UNIX_EPOCH - Duration::from_millis(750)
        );
    }

    #[test]
    fn rejects_non_rfc3339() {
        for s in [
            "",
            "1704067200000",
            "2024-01-01",
            "2024-01-01T00:00:00",
            "2024-01-01 00:00:00Z",
            "2024-01-01X00:00:00Z",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-02-30T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:00+0100",
            "2024-01-01T00:00:00+24:00",
            "2024-01-01T00:00:00Z ",
            " 2024-01-01T00:00:00Z",
            "Mon, 01 Jan 2024 00:00:00 GMT",
        ] {
            let err = parse_timestamp(s).unwrap_err();
            assert!(
                matches!(err, TimestampError::Invalid { .. }),
                "{s}: {err:?}"
            );
            assert!(err.to_string().contains(&format!("{s:?}")), "{err}");
        }
        let err = parse_timestamp("2024-01-01X00:00:00Z").unwrap_err();
        let source = std::error::Error::source(&err).unwrap().to_string();
        assert!(source.contains("separated by `T`"), "{source}");
    }

    #[test]
    fn round_trips_canonical_text() {
        for s in [
            "2024-01-01T00:00:00.000Z",
            "2024-02-29T23:59:59.999Z",
            "1999-12-31T23:59:59.001Z",
        ] {
            assert_eq!(format_timestamp(parse_timestamp(s).unwrap()), s);
        }
    }
}
