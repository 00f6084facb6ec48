//! The caller's image list: [`Image`] = what it shows ([`ImageKind`]) + where its bytes come
//! from ([`ImageSource`]). The wire `image_type_id` is derived, never given ([protocol §4.2](smile_types::protocol#42-image-types-confirmed)).

use std::fmt;
use std::path::PathBuf;

use bytes::Bytes;
use smile_types::{ImageKind, ImageType};

use crate::Base64Text;

/// Where an image's bytes come from.
///
/// A [`File`](Self::File) or [`Bytes`](Self::Bytes) image travels as a zip entry (file image
/// types 0, 1, 4, 5); a [`Base64`](Self::Base64) image travels inline in `info.json` (types 2,
/// 3, 6, 7). Prefer files or bytes: they are smaller on the wire and need no JSON escaping.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImageSource {
    /// A file, read completely (once) during validation.
    File(PathBuf),
    /// In-memory bytes, shared without copying: validation and the upload zip hold
    /// reference-counted slices of them. A `Vec<u8>` converts without a copy; an `Arc<[u8]>` or
    /// any other owner of bytes with [`Bytes::from_owner`].
    Bytes(Bytes),
    /// Standard base64 text with padding, without line breaks or a `data:` prefix, shared
    /// without copying ([`Base64Text`]). Checked once during validation; the text itself is
    /// what `info.json` carries.
    Base64(Base64Text),
}

impl fmt::Debug for ImageSource {
    /// Shows the path, or the length of bytes and base64 text (never the content).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageSource::File(p) => f.debug_tuple("File").field(p).finish(),
            ImageSource::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            ImageSource::Base64(s) => write!(f, "Base64({} chars)", s.len()),
        }
    }
}

/// One image of a job: what it shows and where its bytes come from.
///
/// ```
/// use smile_package::Image;
/// use smile_types::ImageType;
///
/// let selfie = Image::selfie_file("photos/selfie.jpg");
/// assert_eq!(selfie.image_type(), ImageType::SelfieFile); // 0, zipped
/// let frame = Image::liveness_base64("/9j/4AAQ...");
/// assert_eq!(frame.image_type().id(), 6); // inline in info.json
/// let front = Image::id_front_bytes(vec![0xFF, 0xD8, 0xFF]);
/// assert_eq!(front.image_type().id(), 1); // bytes are zipped like files
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// What the image shows.
    pub kind: ImageKind,
    /// Where its bytes come from.
    pub source: ImageSource,
}

macro_rules! constructors {
    ($($kind:ident: $file:ident, $bytes:ident, $b64:ident, $what:literal;)*) => {$(
        #[doc = concat!("The ", $what, " from a file (zipped).")]
        pub fn $file(path: impl Into<PathBuf>) -> Self {
            Self::new(ImageKind::$kind, ImageSource::File(path.into()))
        }
        #[doc = concat!("The ", $what, " from in-memory bytes (zipped; shared, not copied).")]
        pub fn $bytes(bytes: impl Into<Bytes>) -> Self {
            Self::new(ImageKind::$kind, ImageSource::Bytes(bytes.into()))
        }
        #[doc = concat!("The ", $what, " as standard base64 text (inline in `info.json`; a `String`, `Arc<str>` or [`Bytes`] is shared, not copied).")]
        pub fn $b64(text: impl Into<Base64Text>) -> Self {
            Self::new(ImageKind::$kind, ImageSource::Base64(text.into()))
        }
    )*};
}

impl Image {
    /// An image of `kind` from `source`.
    pub fn new(kind: ImageKind, source: ImageSource) -> Self {
        Image { kind, source }
    }

    constructors! {
        Selfie: selfie_file, selfie_bytes, selfie_base64, "selfie";
        Liveness: liveness_file, liveness_bytes, liveness_base64, "liveness frame";
        IdFront: id_front_file, id_front_bytes, id_front_base64, "front of the ID card";
        IdBack: id_back_file, id_back_bytes, id_back_base64, "back of the ID card";
    }

    /// The wire `image_type_id`: a file or bytes give the file type (0, 1, 4, 5), base64 text
    /// the base64 type (2, 3, 6, 7).
    pub fn image_type(&self) -> ImageType {
        ImageType::new(self.kind, matches!(self.source, ImageSource::Base64(_)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_types() {
        let cases = [
            (Image::selfie_file("a"), 0),
            (Image::id_front_file("a"), 1),
            (Image::selfie_base64("a"), 2),
            (Image::id_front_base64("a"), 3),
            (Image::liveness_file("a"), 4),
            (Image::id_back_file("a"), 5),
            (Image::liveness_base64("a"), 6),
            (Image::id_back_base64("a"), 7),
            (Image::selfie_bytes(vec![1u8]), 0),
            (Image::liveness_bytes(Bytes::from_static(b"x")), 4),
            (Image::id_back_bytes(vec![]), 5),
        ];
        for (img, id) in cases {
            assert_eq!(img.image_type().id(), id, "{img:?}");
        }
    }

    #[test]
    fn debug_hides_content() {
        let d = format!("{:?}", Image::selfie_base64("SECRETSECRET"));
        assert!(!d.contains("SECRET") && d.contains("12 chars"), "{d}");
        let d = format!("{:?}", Image::selfie_bytes(vec![0x41u8; 3]));
        assert!(d.contains("3 bytes"), "{d}");
    }
}
