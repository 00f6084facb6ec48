//! Validation problems shared by `smile-package` and `smile-core` ([protocol §6](crate::protocol#6-validation-rules)).

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

macro_rules! problem_codes {
    (
        $( $(#[$doc:meta])* $variant:ident => $code:literal, )*
        ;
        $( $(#[$xdoc:meta])* $xvariant:ident => $xcode:literal, )*
    ) => {
        /// A stable validation problem code ([protocol §6](crate::protocol#6-validation-rules), `testdata/interop/validation_cases.json`
        /// `problem_codes`). [`as_str`](Self::as_str) gives the exact dotted code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ProblemCode {
            $( $(#[$doc])* $variant, )*
            $( $(#[$xdoc])* $xvariant, )*
        }

        impl ProblemCode {
            /// Every code, in the order of `validation_cases.json`.
            pub const ALL: &'static [ProblemCode] = &[ $( ProblemCode::$variant, )* ];

            /// Codes of this SDK that `validation_cases.json` does not list (size limits,
            /// reserved partner_params extras, id info on jobs 2 and 4, …).
            pub const EXTRA: &'static [ProblemCode] = &[ $( ProblemCode::$xvariant, )* ];

            /// The exact dotted code, e.g. `"images.selfie.missing"`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( ProblemCode::$variant => $code, )*
                    $( ProblemCode::$xvariant => $xcode, )*
                }
            }
        }
    };
}

problem_codes! {
    /// `partner_params.missing`: partner params were not given.
    PartnerParamsMissing => "partner_params.missing",
    /// `partner_params.user_id.missing`: user_id is missing or empty.
    UserIdMissing => "partner_params.user_id.missing",
    /// `partner_params.job_id.missing`: job_id is missing or empty.
    JobIdMissing => "partner_params.job_id.missing",
    /// `partner_params.job_type.missing`: job_type is missing.
    JobTypeMissing => "partner_params.job_type.missing",
    /// `partner_params.job_type.unsupported`: job_type is not one of 1, 2, 4, 6, 11.
    JobTypeUnsupported => "partner_params.job_type.unsupported",
    /// `images.selfie.missing`: no selfie image (type 0 or 2) where one is required.
    SelfieMissing => "images.selfie.missing",
    /// `images.selfie.multiple`: more than one selfie image.
    SelfieMultiple => "images.selfie.multiple",
    /// `images.id_front.missing`: job 6/11 without an ID card front image (type 1 or 3).
    IdFrontMissing => "images.id_front.missing",
    /// `images.id_front.multiple`: more than one ID card front image.
    IdFrontMultiple => "images.id_front.multiple",
    /// `images.id_back.multiple`: more than one ID card back image.
    IdBackMultiple => "images.id_back.multiple",
    /// `images.id_or_id_info.missing`: job 1 without an ID front image and without entered id info.
    IdOrIdInfoMissing => "images.id_or_id_info.missing",
    /// `images.id_card.not_allowed`: ID card images (types 1, 3, 5, 7) on job 2 or 4.
    IdCardNotAllowed => "images.id_card.not_allowed",
    /// `images.file.not_found`: an image file does not exist.
    FileNotFound => "images.file.not_found",
    /// `images.file.unreadable`: an image path is not a readable regular file.
    FileUnreadable => "images.file.unreadable",
    /// `images.file.empty`: an image file is empty.
    FileEmpty => "images.file.empty",
    /// `images.file.not_image`: an image file is not a JPEG or PNG (by content).
    FileNotImage => "images.file.not_image",
    /// `images.base64.empty`: a base64 image is empty.
    Base64Empty => "images.base64.empty",
    /// `images.base64.invalid`: a base64 image is not valid standard padded base64.
    Base64Invalid => "images.base64.invalid",
    /// `images.base64.data_uri`: a base64 image carries a `data:` URI prefix.
    Base64DataUri => "images.base64.data_uri",
    /// `images.base64.not_image`: a base64 image does not decode to a JPEG or PNG.
    Base64NotImage => "images.base64.not_image",
    /// `id_info.country.missing`: country is required here.
    CountryMissing => "id_info.country.missing",
    /// `id_info.country.invalid`: country is not two upper-case letters.
    CountryInvalid => "id_info.country.invalid",
    /// `id_info.id_type.missing`: id_type is required here.
    IdTypeMissing => "id_info.id_type.missing",
    /// `id_info.id_number.missing`: id_number is required here.
    IdNumberMissing => "id_info.id_number.missing",
    /// `callback.missing`: no callback URL where one is needed.
    CallbackMissing => "callback.missing",
    /// `callback.invalid_url`: the callback URL is not an absolute http or https URL.
    CallbackInvalidUrl => "callback.invalid_url",
    /// `options.return_history.requires_return_job_status`.
    ReturnHistoryRequiresReturnJobStatus => "options.return_history.requires_return_job_status",
    /// `options.return_image_links.requires_return_job_status`.
    ReturnImageLinksRequiresReturnJobStatus => "options.return_image_links.requires_return_job_status",
    /// `options.use_enrolled_image.not_allowed`: use_enrolled_image on a job type other than 6 or 11.
    UseEnrolledImageNotAllowed => "options.use_enrolled_image.not_allowed",
    /// `product.missing`: web token product missing.
    ProductMissing => "product.missing",
    ;
    /// `images.file.too_large`: an image file (or in-memory image) is above the size limit.
    ImagesFileTooLarge => "images.file.too_large",
    /// `images.base64.too_large`: a base64 image decodes to more than the size limit.
    ImagesBase64TooLarge => "images.base64.too_large",
    /// `partner_params.extra.reserved_key`: an extra partner_params key is named `user_id`,
    /// `job_id` or `job_type`.
    PartnerParamsExtraReservedKey => "partner_params.extra.reserved_key",
    /// `id_info.not_allowed`: id info with a field set, or `entered: true`, on job 2 or 4
    /// ([protocol §4.4](crate::protocol#44-id_info), §5.5: those jobs send exactly `{"entered":"false"}`).
    IdInfoNotAllowed => "id_info.not_allowed",
    /// `partner_params.extra.not_string`: an extra partner_params value is not a JSON string
    /// ([protocol §4.3](crate::protocol#43-partner_params): extras are sent as strings).
    PartnerParamsExtraNotString => "partner_params.extra.not_string",
}

impl fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for a string that is not a known problem code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a known validation problem code")]
#[non_exhaustive]
pub struct UnknownProblemCode(pub String);

impl FromStr for ProblemCode {
    type Err = UnknownProblemCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .chain(Self::EXTRA)
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownProblemCode(s.to_owned()))
    }
}

impl Serialize for ProblemCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One validation problem: a stable code, the field it concerns and a human-readable message.
///
/// `field` is a path such as `partner_params.user_id` or `images[3]`; `message` may reuse the
/// official SDKs' wording. Only `code` is meant to be matched on.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Problem {
    /// The stable code.
    pub code: ProblemCode,
    /// The field concerned.
    pub field: String,
    /// A human-readable explanation.
    pub message: String,
}

impl Problem {
    /// A problem.
    pub fn new(code: ProblemCode, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code,
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Writes `field: message [code]`.
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} [{}]", self.field, self.message, self.code)
    }
}

/// Every problem found in one input (validation reports them all, not just the first).
///
/// ```
/// use smile_types::{Problem, ProblemCode, Problems};
/// let p = Problems::from(vec![
///     Problem::new(ProblemCode::SelfieMissing, "images", "You need to send through at least one selfie image"),
///     Problem::new(ProblemCode::CallbackMissing, "callback_url", "Please choose to either get your response via the callback or job status query"),
/// ]);
/// assert!(p.contains(ProblemCode::CallbackMissing));
/// assert_eq!(p.codes().collect::<Vec<_>>(), ["images.selfie.missing", "callback.missing"]);
/// assert!(p.to_string().starts_with("2 validation problems: images: You need"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    /// No problems yet.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// Adds a problem.
    pub fn push(&mut self, problem: Problem) {
        self.0.push(problem);
    }

    /// Adds a problem built from its parts.
    pub fn add(&mut self, code: ProblemCode, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem::new(code, field, message));
    }

    /// The problems, in the order found.
    pub fn as_slice(&self) -> &[Problem] {
        &self.0
    }

    /// Iterates over the problems.
    pub fn iter(&self) -> std::slice::Iter<'_, Problem> {
        self.0.iter()
    }

    /// The number of problems.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there is no problem.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True when a problem with this code is present.
    pub fn contains(&self, code: ProblemCode) -> bool {
        self.0.iter().any(|p| p.code == code)
    }

    /// The dotted codes, in order.
    pub fn codes(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().map(|p| p.code.as_str())
    }

    /// The problems as a vector.
    pub fn into_vec(self) -> Vec<Problem> {
        self.0
    }

    /// `Ok(())` when empty, else `Err(self)`.
    pub fn into_result(self) -> Result<(), Problems> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl From<Vec<Problem>> for Problems {
    fn from(v: Vec<Problem>) -> Self {
        Self(v)
    }
}

impl From<Problem> for Problems {
    fn from(p: Problem) -> Self {
        Self(vec![p])
    }
}

impl FromIterator<Problem> for Problems {
    fn from_iter<I: IntoIterator<Item = Problem>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl Extend<Problem> for Problems {
    fn extend<I: IntoIterator<Item = Problem>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

impl IntoIterator for Problems {
    type Item = Problem;
    type IntoIter = std::vec::IntoIter<Problem>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Problems {
    type Item = &'a Problem;
    type IntoIter = std::slice::Iter<'a, Problem>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Lists every problem: `1 validation problem: …` / `N validation problems: a; b; c`.
impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.len() {
            0 => f.write_str("no validation problems"),
            1 => write!(f, "1 validation problem: {}", self.0[0]),
            n => {
                write!(f, "{n} validation problems: ")?;
                for (i, p) in self.0.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{p}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Problems {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_back() {
        for c in ProblemCode::ALL.iter().chain(ProblemCode::EXTRA) {
            assert_eq!(c.as_str().parse::<ProblemCode>().unwrap(), *c);
            assert_eq!(c.to_string(), c.as_str());
        }
        assert!("images.nope".parse::<ProblemCode>().is_err());
    }

    #[test]
    fn display() {
        let mut p = Problems::new();
        assert!(p.clone().into_result().is_ok());
        p.add(
            ProblemCode::UserIdMissing,
            "partner_params.user_id",
            "missing",
        );
        assert_eq!(
            p.to_string(),
            "1 validation problem: partner_params.user_id: missing [partner_params.user_id.missing]"
        );
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"[{"code":"partner_params.user_id.missing","field":"partner_params.user_id","message":"missing"}]"#
        );
        assert!(p.into_result().is_err());
    }
}
