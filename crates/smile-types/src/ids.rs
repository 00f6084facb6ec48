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
            Err(E::invalid_type(de::Unexpected::Unsigned(v), &self))
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        if self.numbers && v >= 0 {
            Ok(v.to_string())
        } else {
            Err(E::invalid_type(de::Unexpected::Signed(v), &self))
        }
    }
}

id_type! {
    /// The partner's id, **exactly as shown in the Smile ID portal** (PROTOCOL.md §0).
    ///
    /// The string is kept verbatim: `"085"` and `"85"` are different ids and sign differently.
    /// Deserializes from a JSON string, or from a JSON integer (written in decimal, so a number
    /// can never carry leading zeros; prefer strings).
    ///
    /// ```
    /// use smile_types::PartnerId;
    /// assert_ne!(PartnerId::new("085"), PartnerId::new("85"));
    /// assert_eq!(PartnerId::from("085").as_str(), "085");
    /// ```
    PartnerId, accept_numbers = true
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
        let n: PartnerId = serde_json::from_str("85").unwrap();
        assert_eq!(n.as_str(), "85");
        assert_ne!(p, n);
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
