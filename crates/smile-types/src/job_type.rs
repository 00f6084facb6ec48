//! [`JobType`]: the `partner_params.job_type` number ([protocol §4.1](crate::protocol#41-job-types-confirmed)).

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A Smile ID job type ([protocol §4.1](crate::protocol#41-job-types-confirmed)).
///
/// Serializes as a JSON number. Deserializes from a JSON number or a numeric string (`"2"`), as
/// the server echoes it either way; numbers without a named variant become [`JobType::Other`].
///
/// Equality and hashing use [`JobType::code`], so `JobType::Other(2)` equals
/// [`JobType::SmartSelfieAuthentication`]; prefer [`JobType::from_code`], which never builds
/// `Other` for a known code.
///
/// ```
/// use smile_types::JobType;
/// let t: JobType = serde_json::from_str("\"2\"").unwrap();
/// assert_eq!(t, JobType::SmartSelfieAuthentication);
/// assert_eq!(serde_json::to_string(&t).unwrap(), "2");
/// assert_eq!(JobType::from_code(42), JobType::Other(42));
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum JobType {
    /// 1: Biometric KYC (selfie + ID authority lookup).
    BiometricKyc,
    /// 2: SmartSelfie™ Authentication (compare with the enrolled selfie).
    SmartSelfieAuthentication,
    /// 4: SmartSelfie™ Registration (enrol a user).
    SmartSelfieRegistration,
    /// 5: Enhanced KYC (ID API lookup; also called Basic KYC).
    EnhancedKyc,
    /// 6: Document Verification.
    DocumentVerification,
    /// 7: Business Verification (KYB).
    BusinessVerification,
    /// 8: Update Photo (not supported by this SDK's `submit_job`).
    UpdatePhoto,
    /// 9: Compare User Info (not supported by this SDK's `submit_job`).
    CompareUserInfo,
    /// 11: Enhanced Document Verification.
    EnhancedDocumentVerification,
    /// Any other number, kept as received.
    Other(u32),
}

impl JobType {
    /// Job types accepted by the upload flow (`submit_job`): 1, 2, 4, 6, 11 ([protocol §4.1](crate::protocol#41-job-types-confirmed)).
    pub const SUBMIT_JOB_TYPES: [JobType; 5] = [
        JobType::BiometricKyc,
        JobType::SmartSelfieAuthentication,
        JobType::SmartSelfieRegistration,
        JobType::DocumentVerification,
        JobType::EnhancedDocumentVerification,
    ];

    /// The wire number.
    pub const fn code(self) -> u32 {
        match self {
            JobType::BiometricKyc => 1,
            JobType::SmartSelfieAuthentication => 2,
            JobType::SmartSelfieRegistration => 4,
            JobType::EnhancedKyc => 5,
            JobType::DocumentVerification => 6,
            JobType::BusinessVerification => 7,
            JobType::UpdatePhoto => 8,
            JobType::CompareUserInfo => 9,
            JobType::EnhancedDocumentVerification => 11,
            JobType::Other(n) => n,
        }
    }

    /// The job type for a wire number; numbers without a named variant give [`JobType::Other`].
    pub const fn from_code(code: u32) -> Self {
        match code {
            1 => JobType::BiometricKyc,
            2 => JobType::SmartSelfieAuthentication,
            4 => JobType::SmartSelfieRegistration,
            5 => JobType::EnhancedKyc,
            6 => JobType::DocumentVerification,
            7 => JobType::BusinessVerification,
            8 => JobType::UpdatePhoto,
            9 => JobType::CompareUserInfo,
            11 => JobType::EnhancedDocumentVerification,
            n => JobType::Other(n),
        }
    }

    /// True for the job types the upload flow accepts (1, 2, 4, 6, 11), as the job-type table
    /// says ([`JobSpec::is_image_job`](crate::JobSpec::is_image_job)).
    pub fn is_submit_job_type(self) -> bool {
        self.spec().is_some_and(crate::JobSpec::is_image_job)
    }

    /// The product name, or `None` for [`JobType::Other`].
    pub const fn name(self) -> Option<&'static str> {
        Some(match self {
            JobType::BiometricKyc => "Biometric KYC",
            JobType::SmartSelfieAuthentication => "SmartSelfie Authentication",
            JobType::SmartSelfieRegistration => "SmartSelfie Registration",
            JobType::EnhancedKyc => "Enhanced KYC",
            JobType::DocumentVerification => "Document Verification",
            JobType::BusinessVerification => "Business Verification",
            JobType::UpdatePhoto => "Update Photo",
            JobType::CompareUserInfo => "Compare User Info",
            JobType::EnhancedDocumentVerification => "Enhanced Document Verification",
            JobType::Other(_) => return None,
        })
    }

    /// Parses a JSON value as the server sends it: a non-negative integer or a numeric string.
    /// Returns `None` for anything else (never panics).
    pub fn from_json(value: &serde_json::Value) -> Option<Self> {
        match value {
            serde_json::Value::Number(n) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Self::from_code),
            serde_json::Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }
}

impl PartialEq for JobType {
    fn eq(&self, other: &Self) -> bool {
        self.code() == other.code()
    }
}

impl Eq for JobType {}

impl Hash for JobType {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.code().hash(state);
    }
}

impl PartialOrd for JobType {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for JobType {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.code().cmp(&other.code())
    }
}

impl From<u32> for JobType {
    fn from(code: u32) -> Self {
        Self::from_code(code)
    }
}

impl From<JobType> for u32 {
    fn from(t: JobType) -> u32 {
        t.code()
    }
}

/// Displays the wire number (`2`).
impl fmt::Display for JobType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

/// Error returned when a string is not a job type number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("job_type {0:?} is not a non-negative decimal number")]
#[non_exhaustive]
pub struct ParseJobTypeError(pub String);

impl FromStr for JobType {
    type Err = ParseJobTypeError;

    /// Parses ASCII decimal digits only (`"2"`, `"11"`); no sign, spaces or fraction.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseJobTypeError(s.to_owned()));
        }
        s.parse::<u32>()
            .map(Self::from_code)
            .map_err(|_| ParseJobTypeError(s.to_owned()))
    }
}

impl Serialize for JobType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(self.code())
    }
}

impl<'de> Deserialize<'de> for JobType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = JobType;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a job_type as a JSON number or numeric string")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<JobType, E> {
                u32::try_from(v)
                    .map(JobType::from_code)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<JobType, E> {
                u32::try_from(v)
                    .map(JobType::from_code)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<JobType, E> {
                v.parse()
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for n in 0..20u32 {
            assert_eq!(JobType::from_code(n).code(), n);
        }
        assert_eq!(JobType::from_code(2), JobType::SmartSelfieAuthentication);
        assert_eq!(JobType::Other(2), JobType::SmartSelfieAuthentication);
        assert!(JobType::from_code(11).is_submit_job_type());
        assert!(!JobType::from_code(5).is_submit_job_type());
        assert!(!JobType::from_code(3).is_submit_job_type());
    }

    #[test]
    fn lenient_deserialize() {
        let t: JobType = serde_json::from_str("\"11\"").unwrap();
        assert_eq!(t, JobType::EnhancedDocumentVerification);
        let t: JobType = serde_json::from_str("42").unwrap();
        assert_eq!(t, JobType::Other(42));
        assert!(serde_json::from_str::<JobType>("\"two\"").is_err());
        assert!(serde_json::from_str::<JobType>("\"-2\"").is_err());
        assert!(serde_json::from_str::<JobType>("\" 2\"").is_err());
        assert!(serde_json::from_str::<JobType>("-2").is_err());
        assert!(serde_json::from_str::<JobType>("2.5").is_err());
        assert!(serde_json::from_str::<JobType>("true").is_err());
        assert!(serde_json::from_str::<JobType>("4294967296").is_err());
    }

    #[test]
    fn serializes_as_number() {
        assert_eq!(
            serde_json::to_string(&JobType::EnhancedDocumentVerification).unwrap(),
            "11"
        );
        assert_eq!(serde_json::to_string(&JobType::Other(3)).unwrap(), "3");
    }
}
