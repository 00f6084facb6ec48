//! `Actions`: the per-check outcomes of a result entry ([protocol §10.4](crate::protocol#104-actions)).

use std::fmt;
use std::hash::{Hash, Hasher};

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

macro_rules! open_str_enum {
    (
        $(#[$meta:meta])*
        $name:ident, fallback = $fallback:ident, fallback_doc = $fdoc:literal,
        { $( $(#[$doc:meta])* $variant:ident => $text:literal, )* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$doc])* $variant, )*
            #[doc = $fdoc]
            $fallback(String),
        }

        impl $name {
            /// Every named variant (not the fallback).
            pub const KNOWN: &'static [$name] = &[ $( $name::$variant, )* ];

            /// The exact wire text.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $text, )*
                    $name::$fallback(s) => s,
                }
            }

            /// Parses the exact wire text (case-sensitive, so the original spelling always
            /// round-trips); anything else is kept in the fallback variant.
            pub fn parse(s: &str) -> Self {
                match s {
                    $( $text => $name::$variant, )*
                    other => $name::$fallback(other.to_owned()),
                }
            }

            /// True when the text is not one of the named variants.
            pub fn is_unknown(&self) -> bool {
                !Self::KNOWN.iter().any(|k| k.as_str() == self.as_str())
            }
        }

        /// Compares the wire text, so a fallback holding a known text equals the named variant.
        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.as_str() == other.as_str()
            }
        }

        impl Eq for $name {}

        impl Hash for $name {
            fn hash<H: Hasher>(&self, state: &mut H) {
                self.as_str().hash(state);
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::parse(s)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match Self::parse(&s) {
                    $name::$fallback(_) => $name::$fallback(s),
                    known => known,
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map(Self::from)
            }
        }
    };
}

open_str_enum! {
    /// A key of `Actions` ([protocol §10.4](crate::protocol#104-actions)): the union of the official models, plus the
    /// Basic/Enhanced KYC field-match keys. Unknown keys are kept in [`ActionKey::Other`].
    ActionKey, fallback = Other, fallback_doc = "Any other key, kept verbatim.",
    {
        /// `Selfie_Provided` (job 2).
        SelfieProvided => "Selfie_Provided",
        /// `Liveness_Check` (job 2: `Passed`, `Failed` or `Under Review`).
        LivenessCheck => "Liveness_Check",
        /// `Selfie_To_Registered_Selfie_Compare`: the job 2 comparison (`Completed` when it ran).
        SelfieToRegisteredSelfieCompare => "Selfie_To_Registered_Selfie_Compare",
        /// `Human_Review_Compare` (job 2, after review).
        HumanReviewCompare => "Human_Review_Compare",
        /// `Human_Review_Liveness_Check` (job 2, after review).
        HumanReviewLivenessCheck => "Human_Review_Liveness_Check",
        /// `Register_Selfie` (jobs 1, 4).
        RegisterSelfie => "Register_Selfie",
        /// `Update_Registered_Selfie_On_File` (job 8).
        UpdateRegisteredSelfieOnFile => "Update_Registered_Selfie_On_File",
        /// `Human_Review_Update_Selfie`.
        HumanReviewUpdateSelfie => "Human_Review_Update_Selfie",
        /// `Verify_ID_Number` (jobs 1, 5, 11).
        VerifyIdNumber => "Verify_ID_Number",
        /// `Return_Personal_Info` (jobs 1, 5, 11).
        ReturnPersonalInfo => "Return_Personal_Info",
        /// `Selfie_To_ID_Authority_Compare` (job 1).
        SelfieToIdAuthorityCompare => "Selfie_To_ID_Authority_Compare",
        /// `Selfie_To_ID_Card_Compare` (jobs 6, 11).
        SelfieToIdCardCompare => "Selfie_To_ID_Card_Compare",
        /// `Selfie_Check`.
        SelfieCheck => "Selfie_Check",
        /// `Human_Review_Selfie_Check`.
        HumanReviewSelfieCheck => "Human_Review_Selfie_Check",
        /// `Document_Check` (jobs 6, 11).
        DocumentCheck => "Document_Check",
        /// `Human_Review_Document_Check` (jobs 6, 11).
        HumanReviewDocumentCheck => "Human_Review_Document_Check",
        /// `Verify_Document` (jobs 6, 11).
        VerifyDocument => "Verify_Document",
        /// `Verify_Business` (job 7).
        VerifyBusiness => "Verify_Business",
        /// `Return_Business_Info` (job 7).
        ReturnBusinessInfo => "Return_Business_Info",
        /// `Names` (KYC field match).
        Names => "Names",
        /// `DOB` (KYC field match).
        Dob => "DOB",
        /// `Gender` (KYC field match).
        Gender => "Gender",
        /// `Phone_Number` (KYC field match).
        PhoneNumber => "Phone_Number",
        /// `ID_Verification` (KYC field match).
        IdVerification => "ID_Verification",
    }
}

open_str_enum! {
    /// A value of `Actions` ([protocol §10.4](crate::protocol#104-actions)). Matching is exact (note the spelling
    /// `Provisionally Approved`); anything else is kept in [`ActionResult::Unknown`].
    ///
    /// Never decide a job's outcome from these: the result code decides (§7.4).
    ActionResult, fallback = Unknown, fallback_doc = "Any other value, kept verbatim.",
    {
        /// `Passed`.
        Passed => "Passed",
        /// `Completed`.
        Completed => "Completed",
        /// `Approved`.
        Approved => "Approved",
        /// `Verified`.
        Verified => "Verified",
        /// `Provisionally Approved`.
        ProvisionallyApproved => "Provisionally Approved",
        /// `Returned`.
        Returned => "Returned",
        /// `Not Returned`.
        NotReturned => "Not Returned",
        /// `Failed`.
        Failed => "Failed",
        /// `Rejected`.
        Rejected => "Rejected",
        /// `Under Review`.
        UnderReview => "Under Review",
        /// `Unable To Determine`.
        UnableToDetermine => "Unable To Determine",
        /// `Not Applicable` (also what a missing key reads as).
        NotApplicable => "Not Applicable",
        /// `Not Verified`.
        NotVerified => "Not Verified",
        /// `Not Done`.
        NotDone => "Not Done",
        /// `Issuer Unavailable`.
        IssuerUnavailable => "Issuer Unavailable",
        /// `ID Authority Photo Not Available`.
        IdAuthorityPhotoNotAvailable => "ID Authority Photo Not Available",
        /// `Sent to Human Review`.
        SentToHumanReview => "Sent to Human Review",
        /// `Exact Match` (KYC field match).
        ExactMatch => "Exact Match",
        /// `Partial Match` (KYC field match).
        PartialMatch => "Partial Match",
        /// `Transposed` (KYC field match).
        Transposed => "Transposed",
        /// `No Match` (KYC field match).
        NoMatch => "No Match",
        /// `Not Provided` (KYC field match).
        NotProvided => "Not Provided",
    }
}

static NOT_APPLICABLE: ActionResult = ActionResult::NotApplicable;

/// The `Actions` object: check name → outcome, in document order.
///
/// A key that is absent reads as [`ActionResult::NotApplicable`] through [`get`](Self::get) and
/// the typed getters; [`get_present`](Self::get_present) tells absent from present. Unknown keys
/// and values are kept, and serialization writes exactly the present entries in their original
/// order and spelling (a duplicate key in the input keeps its first position and last value).
///
/// Decoding is per entry: a value that is not a JSON string (`null`, a number, …) does not
/// spoil the others. It reads as [`ActionResult::Unknown`] holding its compact JSON text
/// (`"null"`, `"3"`), and the JSON value itself is kept ([`raw_value`](Self::raw_value)) and
/// written back unchanged, so re-encoding is value-identical.
///
/// ```
/// use smile_types::{ActionKey, ActionResult, Actions};
/// let a: Actions = serde_json::from_str(
///     r#"{"Liveness_Check":"Under Review","New_Check":"Maybe"}"#,
/// ).unwrap();
/// assert_eq!(a.liveness_check(), &ActionResult::UnderReview);
/// assert_eq!(a.register_selfie(), &ActionResult::NotApplicable); // missing key
/// assert_eq!(a.get(&ActionKey::from("New_Check")).as_str(), "Maybe");
/// assert_eq!(
///     serde_json::to_string(&a).unwrap(),
///     r#"{"Liveness_Check":"Under Review","New_Check":"Maybe"}"#
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Actions {
    entries: Vec<Entry>,
}

/// One entry; `raw` holds the received JSON when it was not a string.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    key: ActionKey,
    value: ActionResult,
    raw: Option<Value>,
}

macro_rules! typed_getters {
    ($( $fn:ident => $variant:ident, )*) => {
        $(
            #[doc = concat!("The `", stringify!($variant), "` outcome ([`ActionKey::", stringify!($variant), "`]); `Not Applicable` when absent.")]
            pub fn $fn(&self) -> &ActionResult {
                self.get(&ActionKey::$variant)
            }
        )*
    };
}

impl Actions {
    /// No entries.
    pub fn new() -> Self {
        Self::default()
    }

    /// The outcome for `key`; [`ActionResult::NotApplicable`] when the key is absent.
    pub fn get(&self, key: &ActionKey) -> &ActionResult {
        self.get_present(key).unwrap_or(&NOT_APPLICABLE)
    }

    /// The outcome for `key` when the key is present.
    pub fn get_present(&self, key: &ActionKey) -> Option<&ActionResult> {
        self.entry(key).map(|e| &e.value)
    }

    /// The JSON value received for `key` when it was **not** a string (`null`, a number, …);
    /// `None` for string values and absent keys.
    pub fn raw_value(&self, key: &ActionKey) -> Option<&Value> {
        self.entry(key)?.raw.as_ref()
    }

    fn entry(&self, key: &ActionKey) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == *key)
    }

    /// Sets `key` (replacing its value in place when present, else appending). Returns the
    /// previous value.
    pub fn insert(
        &mut self,
        key: impl Into<ActionKey>,
        value: impl Into<ActionResult>,
    ) -> Option<ActionResult> {
        self.insert_entry(key.into(), value.into(), None)
    }

    fn insert_entry(
        &mut self,
        key: ActionKey,
        value: ActionResult,
        raw: Option<Value>,
    ) -> Option<ActionResult> {
        match self.entries.iter_mut().find(|e| e.key == key) {
            Some(e) => {
                e.raw = raw;
                Some(std::mem::replace(&mut e.value, value))
            }
            None => {
                self.entries.push(Entry { key, value, raw });
                None
            }
        }
    }

    /// Sets `key` from a JSON value as received: a string is parsed, anything else becomes
    /// [`ActionResult::Unknown`] with its compact JSON text and is written back unchanged.
    pub fn insert_json(&mut self, key: impl Into<ActionKey>, value: Value) -> Option<ActionResult> {
        match value {
            Value::String(s) => self.insert_entry(key.into(), s.into(), None),
            other => {
                let text = other.to_string();
                self.insert_entry(key.into(), ActionResult::Unknown(text), Some(other))
            }
        }
    }

    /// Builder form of [`insert`](Self::insert).
    #[must_use]
    pub fn with(mut self, key: impl Into<ActionKey>, value: impl Into<ActionResult>) -> Self {
        self.insert(key, value);
        self
    }

    /// The present entries, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&ActionKey, &ActionResult)> {
        self.entries.iter().map(|e| (&e.key, &e.value))
    }

    /// The number of present entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no key is present.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// True when `key` is present.
    pub fn contains(&self, key: &ActionKey) -> bool {
        self.get_present(key).is_some()
    }

    /// Present keys that are not known to this SDK.
    pub fn unknown_keys(&self) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .filter(|e| e.key.is_unknown())
            .map(|e| e.key.as_str())
    }

    typed_getters! {
        selfie_provided => SelfieProvided,
        liveness_check => LivenessCheck,
        selfie_to_registered_selfie_compare => SelfieToRegisteredSelfieCompare,
        human_review_compare => HumanReviewCompare,
        human_review_liveness_check => HumanReviewLivenessCheck,
        register_selfie => RegisterSelfie,
        update_registered_selfie_on_file => UpdateRegisteredSelfieOnFile,
        human_review_update_selfie => HumanReviewUpdateSelfie,
        verify_id_number => VerifyIdNumber,
        return_personal_info => ReturnPersonalInfo,
        selfie_to_id_authority_compare => SelfieToIdAuthorityCompare,
        selfie_to_id_card_compare => SelfieToIdCardCompare,
        selfie_check => SelfieCheck,
        human_review_selfie_check => HumanReviewSelfieCheck,
        document_check => DocumentCheck,
        human_review_document_check => HumanReviewDocumentCheck,
        verify_document => VerifyDocument,
        verify_business => VerifyBusiness,
        return_business_info => ReturnBusinessInfo,
    }
}

impl<K: Into<ActionKey>, V: Into<ActionResult>> FromIterator<(K, V)> for Actions {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut a = Actions::new();
        for (k, v) in iter {
            a.insert(k, v);
        }
        a
    }
}

impl Serialize for Actions {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for e in &self.entries {
            match &e.raw {
                Some(raw) => map.serialize_entry(e.key.as_str(), raw)?,
                None => map.serialize_entry(e.key.as_str(), e.value.as_str())?,
            }
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Actions {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Actions;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an Actions object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Actions, A::Error> {
                let mut actions = Actions::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    actions.insert_json(k, v);
                }
                Ok(actions)
            }
        }
        deserializer
            .deserialize_map(V)
            .map_err(|e: D::Error| de::Error::custom(format_args!("Actions: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_texts_round_trip() {
        for k in ActionKey::KNOWN {
            assert_eq!(&ActionKey::parse(k.as_str()), k);
            assert!(!k.is_unknown());
        }
        for v in ActionResult::KNOWN {
            assert_eq!(&ActionResult::parse(v.as_str()), v);
        }
        assert_eq!(ActionKey::KNOWN.len(), 24);
        assert_eq!(ActionResult::KNOWN.len(), 22);
        assert_eq!(
            ActionResult::Unknown("Passed".into()),
            ActionResult::Passed,
            "fallback holding a known text compares equal"
        );
        assert!(!ActionResult::Unknown("Passed".into()).is_unknown());
        assert!(ActionResult::parse("passed").is_unknown());
    }

    #[test]
    fn typed_getters_read_their_key() {
        let a: Actions = ActionKey::KNOWN
            .iter()
            .map(|k| {
                (
                    k.clone(),
                    ActionResult::Unknown(format!("v-{}", k.as_str())),
                )
            })
            .collect();
        assert_eq!(a.selfie_provided().as_str(), "v-Selfie_Provided");
        assert_eq!(
            a.selfie_to_registered_selfie_compare().as_str(),
            "v-Selfie_To_Registered_Selfie_Compare"
        );
        assert_eq!(
            a.human_review_document_check().as_str(),
            "v-Human_Review_Document_Check"
        );
        assert_eq!(a.return_business_info().as_str(), "v-Return_Business_Info");
        assert!(a.contains(&ActionKey::Dob));
        assert_eq!(a.unknown_keys().count(), 0);
        assert_eq!(
            Actions::new().verify_business(),
            &ActionResult::NotApplicable
        );
        assert!(!Actions::new().contains(&ActionKey::VerifyBusiness));
    }

    #[test]
    fn non_string_values_are_kept_per_entry() {
        let text = r#"{"Verify_ID_Number":null,"Liveness_Check":"Failed","X":3,"Y":{"a":[1]}}"#;
        let mut a: Actions = serde_json::from_str(text).unwrap();
        assert_eq!(a.liveness_check(), &ActionResult::Failed);
        assert_eq!(a.verify_id_number(), &ActionResult::Unknown("null".into()));
        assert!(a.verify_id_number().is_unknown());
        assert_eq!(a.raw_value(&ActionKey::VerifyIdNumber), Some(&Value::Null));
        assert_eq!(a.get(&ActionKey::from("X")).as_str(), "3");
        assert_eq!(a.raw_value(&ActionKey::LivenessCheck), None);
        assert_eq!(serde_json::to_string(&a).unwrap(), text);
        // Replacing a value drops the raw form.
        a.insert("X", "Passed");
        assert_eq!(a.raw_value(&ActionKey::from("X")), None);
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"Verify_ID_Number":null,"Liveness_Check":"Failed","X":"Passed","Y":{"a":[1]}}"#
        );
    }

    #[test]
    fn duplicates_and_errors() {
        let a: Actions = serde_json::from_str(r#"{"A":"1","B":"2","A":"3"}"#).unwrap();
        assert_eq!(serde_json::to_string(&a).unwrap(), r#"{"A":"3","B":"2"}"#);
        assert_eq!(a.unknown_keys().collect::<Vec<_>>(), ["A", "B"]);
        let err = serde_json::from_str::<Actions>(r#"["A"]"#)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("Actions:"), "{err}");
    }
}
