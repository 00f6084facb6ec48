//! [`Base64Text`]: the text of a base64 image, shared instead of copied.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use bytes::Bytes;

/// The text of a base64 image ([`ImageSource::Base64`](crate::ImageSource::Base64)), held as
/// shared bytes: cloning it, validating it and sending it never copy the text.
///
/// It converts without a copy from a `String`, a `Box<str>`, an `Arc<str>` and [`Bytes`]; a
/// `&str` is copied once. A caller who keeps a frame's text (to retry, to log its length, to
/// send it to two jobs) keeps an `Arc<str>` or a [`Bytes`] and passes a clone of it.
///
/// Its content is only checked by validation (strict standard base64, [protocol §6.1](smile_types::protocol#61-submit_job-job-types-1-2-4-6-11)):
/// bytes that are not base64, or not UTF-8, are reported there, with their offset.
///
/// ```
/// use std::sync::Arc;
/// use smile_package::{Base64Text, Image};
///
/// let frame: Arc<str> = Arc::from("/9j/4AAQ");
/// let text = Base64Text::from(Arc::clone(&frame)); // no copy
/// assert_eq!(text.len(), 8);
/// assert_eq!(text.as_bytes(), b"/9j/4AAQ");
/// let _image = Image::liveness_base64(frame); // the same text, shared again
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Base64Text(Bytes);

impl Base64Text {
    /// The text's bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The text as shared [`Bytes`] (a reference count, no copy).
    #[must_use]
    pub fn to_bytes(&self) -> Bytes {
        self.0.clone()
    }

    /// Its length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Base64Text {
    /// The length only, never the content (an image is personal data).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Base64Text({} chars)", self.0.len())
    }
}

impl AsRef<[u8]> for Base64Text {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<Bytes> for Base64Text {
    fn from(b: Bytes) -> Self {
        Base64Text(b)
    }
}

impl From<String> for Base64Text {
    fn from(s: String) -> Self {
        Base64Text(Bytes::from(s))
    }
}

impl From<Box<str>> for Base64Text {
    fn from(s: Box<str>) -> Self {
        Base64Text(Bytes::from(s.into_boxed_bytes()))
    }
}

impl From<Arc<str>> for Base64Text {
    fn from(s: Arc<str>) -> Self {
        Base64Text(Bytes::from_owner(ArcStr(s)))
    }
}

impl From<&str> for Base64Text {
    /// One copy of the text.
    fn from(s: &str) -> Self {
        Base64Text(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl From<&String> for Base64Text {
    /// One copy of the text.
    fn from(s: &String) -> Self {
        Self::from(s.as_str())
    }
}

impl From<Cow<'_, str>> for Base64Text {
    fn from(s: Cow<'_, str>) -> Self {
        match s {
            Cow::Borrowed(s) => Self::from(s),
            Cow::Owned(s) => Self::from(s),
        }
    }
}

/// An `Arc<str>` as the owner of [`Bytes`].
struct ArcStr(Arc<str>);

impl AsRef<[u8]> for ArcStr {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_share_or_copy_as_documented() {
        let s = String::from("QUJD");
        let ptr = s.as_ptr();
        let t = Base64Text::from(s);
        assert_eq!(t.as_bytes().as_ptr(), ptr, "a String is taken, not copied");
        let arc: Arc<str> = Arc::from("QUJD");
        let t2 = Base64Text::from(Arc::clone(&arc));
        assert_eq!(
            t2.as_bytes().as_ptr(),
            arc.as_ptr(),
            "an Arc<str> is shared"
        );
        assert_eq!(t2.to_bytes().as_ptr(), arc.as_ptr());
        assert_eq!(t, t2);
        assert_eq!(Base64Text::from("QUJD"), t);
        assert_eq!(Base64Text::from(Cow::Borrowed("QUJD")), t);
        assert_eq!(Base64Text::from(Box::<str>::from("QUJD")), t);
        assert_eq!(format!("{t:?}"), "Base64Text(4 chars)");
    }
}
