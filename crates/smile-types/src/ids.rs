//! Identifier newtypes: [`PartnerId`], [`UserId`], [`JobId`], [`SmileJobId`].

use std::borrow::Borrow;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

macro_rules! id_type {
    (
        $(#[$meta:meta])*
        $name:ident, accept_numbers = $numbers:literal
    ) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(String);

        impl $name {
            /// Wraps the given string exactly as given (no trimming, no normalisation).
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Unwraps the inner string.
            pub fn into_inner(self) -> String {
                self.0
            }

            /// True when the id is the empty string.
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }

        impl From<&String> for $name {
            fn from(s: &String) -> Self {
                Self(s.clone())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer
                    .deserialize_any(IdVisitor {
                        what: stringify!($name),
                        numbers: $numbers,
                    })
                    .map(Self)
            }
        }
    };
}

/// Visitor shared by the id types: a JSON string, and (when `numbers`) a JSON integer written in
/// decimal.
struct IdVisitor {
    what: &'static str,
    numbers: bool,
}

impl Visitor<'_> for IdVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.numbers {
            write!(f, "a {} as a JSON string or integer", self.what)
        } else {
            write!(f, "a {} as a JSON string", self.what)
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        if self.numbers {
            Ok(v.to_string())
        } else {
            Err(self.number_refused(v))
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        if self.numbers && v >= 0 {
            Ok(v.to_string())
        } else if self.numbers {
            Err(E::invalid_type(de::Unexpected::Signed(v), &self))
        } else {
            Err(self.number_refused(v))
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        if self.numbers {
            Err(E::invalid_type(de::Unexpected::Float(v), &self))
        } else {
            Err(self.number_refused(v))
        }
    }
}

impl IdVisitor {
    /// The error for a JSON number where only a string is accepted.
    fn number_refused<E: de::Error>(&self, v: impl fmt::Display) -> E {
        E::custom(format_args!(
            "{} must be a JSON string, not the number {v}: a number cannot keep leading zeros \
             (\"085\" is not 85); quote it",
            self.what
        ))
    }
}

id_type! {
    /// The partner's id, **exactly as shown in the Smile ID portal** ([protocol §0](crate::protocol#0-conventions)).
    ///
    /// The string is kept verbatim: `"085"` and `"85"` are different ids and sign differently
    /// ([protocol §3.1](crate::protocol#31-algorithm-confirmed)). Deserializes from a JSON **string only**: a JSON number would have
    /// lost its leading zeros already, so it is an error that says so (the partner id comes
    /// from the partner's own configuration, never from the server).
    ///
    /// ```
    /// use smile_types::PartnerId;
    /// assert_ne!(PartnerId::new("085"), PartnerId::new("85"));
    /// assert_eq!(PartnerId::from("085").as_str(), "085");
    /// let err = serde_json::from_str::<PartnerId>("85").unwrap_err();
    /// assert!(err.to_string().contains("leading zeros"));
    /// ```
    PartnerId, accept_numbers = false
}

id_type! {
    /// The partner-chosen user id (`partner_params.user_id`). For job type 2 it must be the id
    /// under which the user was enrolled. Serialized as a JSON string.
    UserId, accept_numbers = false
}

id_type! {
    /// The partner-chosen job id (`partner_params.job_id`): the partner's idempotency key,
    /// unique per partner. Serialized as a JSON string.
    JobId, accept_numbers = false
}

id_type! {
    /// The server's id for a job, a zero-padded decimal string such as `"0000057497"`.
    ///
    /// Deserializes from a JSON string (kept verbatim) or a JSON integer (written in decimal;
    /// the server's zero padding cannot be recovered from a number). Always serialized as a
    /// string.
    SmileJobId, accept_numbers = true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partner_id_keeps_leading_zeros() {
        let p: PartnerId = serde_json::from_str("\"085\"").unwrap();
        assert_eq!(p.as_str(), "085");
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"085\"");
        assert_ne!(p, PartnerId::new("85"));
    }

    #[test]
    fn partner_id_refuses_numbers() {
        for text in ["85", "0", "-85", "8.5"] {
            let err = serde_json::from_str::<PartnerId>(text)
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("PartnerId must be a JSON string, not the number")
                    && err.contains("leading zeros"),
                "{text}: {err}"
            );
        }
        let err = serde_json::from_str::<UserId>("5").unwrap_err().to_string();
        assert!(err.contains("UserId must be a JSON string"), "{err}");
        assert!(serde_json::from_str::<PartnerId>("null").is_err());
    }

    #[test]
    fn smile_job_id_from_number_or_string() {
        let a: SmileJobId = serde_json::from_str("\"0000057497\"").unwrap();
        assert_eq!(a, "0000057497");
        let b: SmileJobId = serde_json::from_str("57497").unwrap();
        assert_eq!(b.as_str(), "57497");
        assert!(serde_json::from_str::<SmileJobId>("-1").is_err());
        assert!(serde_json::from_str::<SmileJobId>("1.5").is_err());
        assert!(serde_json::from_str::<SmileJobId>("null").is_err());
    }

    #[test]
    fn user_and_job_ids_are_strings_only() {
        assert!(serde_json::from_str::<UserId>("5").is_err());
        assert!(serde_json::from_str::<JobId>("5").is_err());
        let u: UserId = serde_json::from_str("\"user-0001\"").unwrap();
        assert_eq!(u.to_string(), "user-0001");
        assert_eq!(format!("{u:?}"), "UserId(\"user-0001\")");
    }
}
