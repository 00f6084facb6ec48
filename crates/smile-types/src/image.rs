//! [`ImageKind`] and the wire [`ImageType`] ids ([protocol §4.2](crate::protocol#42-image-types-confirmed)).

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// What an image shows, independent of how it travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ImageKind {
    /// The selfie (image types 0 and 2).
    Selfie,
    /// A liveness frame (image types 4 and 6).
    Liveness,
    /// The front of an ID card (image types 1 and 3).
    IdFront,
    /// The back of an ID card (image types 5 and 7).
    IdBack,
}

impl ImageKind {
    /// All kinds, in the order selfie, liveness, ID front, ID back.
    pub const ALL: [ImageKind; 4] = [
        ImageKind::Selfie,
        ImageKind::Liveness,
        ImageKind::IdFront,
        ImageKind::IdBack,
    ];

    /// Lower-case snake name: `selfie`, `liveness`, `id_front`, `id_back` (the names used in
    /// validation problem codes such as `images.id_front.missing`).
    pub const fn as_str(self) -> &'static str {
        match self {
            ImageKind::Selfie => "selfie",
            ImageKind::Liveness => "liveness",
            ImageKind::IdFront => "id_front",
            ImageKind::IdBack => "id_back",
        }
    }

    /// True for ID card images (front or back).
    pub const fn is_id_card(self) -> bool {
        matches!(self, ImageKind::IdFront | ImageKind::IdBack)
    }
}

impl fmt::Display for ImageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `image_type_id` of an image in `info.json` ([protocol §4.2](crate::protocol#42-image-types-confirmed)).
///
/// File types (0, 1, 4, 5) travel as zip entries; base64 types (2, 3, 6, 7) travel inline in
/// `info.json`. Serializes as a JSON number; deserializes from a number or numeric string
/// in `0..=7`.
///
/// ```
/// use smile_types::{ImageKind, ImageType};
/// let t = ImageType::new(ImageKind::Liveness, true);
/// assert_eq!(t, ImageType::LivenessBase64);
/// assert_eq!(t.id(), 6);
/// assert_eq!(ImageType::from_id(5), Some(ImageType::IdBackFile));
/// assert_eq!(serde_json::to_string(&ImageType::SelfieFile).unwrap(), "0");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum ImageType {
    /// 0: selfie, file (zip entry).
    SelfieFile = 0,
    /// 1: ID card front, file (zip entry).
    IdFrontFile = 1,
    /// 2: selfie, base64 (inline).
    SelfieBase64 = 2,
    /// 3: ID card front, base64 (inline).
    IdFrontBase64 = 3,
    /// 4: liveness frame, file (zip entry).
    LivenessFile = 4,
    /// 5: ID card back, file (zip entry).
    IdBackFile = 5,
    /// 6: liveness frame, base64 (inline).
    LivenessBase64 = 6,
    /// 7: ID card back, base64 (inline).
    IdBackBase64 = 7,
}

impl ImageType {
    /// All eight types in id order.
    pub const ALL: [ImageType; 8] = [
        ImageType::SelfieFile,
        ImageType::IdFrontFile,
        ImageType::SelfieBase64,
        ImageType::IdFrontBase64,
        ImageType::LivenessFile,
        ImageType::IdBackFile,
        ImageType::LivenessBase64,
        ImageType::IdBackBase64,
    ];

    /// The wire id `0..=7`.
    pub const fn id(self) -> u8 {
        self as u8
    }

    /// The type for a wire id, or `None` outside `0..=7`.
    pub const fn from_id(id: u8) -> Option<Self> {
        Some(match id {
            0 => ImageType::SelfieFile,
            1 => ImageType::IdFrontFile,
            2 => ImageType::SelfieBase64,
            3 => ImageType::IdFrontBase64,
            4 => ImageType::LivenessFile,
            5 => ImageType::IdBackFile,
            6 => ImageType::LivenessBase64,
            7 => ImageType::IdBackBase64,
            _ => return None,
        })
    }

    /// The type for a kind and a transport (`base64: true` for inline base64 text, `false` for
    /// a zipped file).
    pub const fn new(kind: ImageKind, base64: bool) -> Self {
        match (kind, base64) {
            (ImageKind::Selfie, false) => ImageType::SelfieFile,
            (ImageKind::Selfie, true) => ImageType::SelfieBase64,
            (ImageKind::IdFront, false) => ImageType::IdFrontFile,
            (ImageKind::IdFront, true) => ImageType::IdFrontBase64,
            (ImageKind::Liveness, false) => ImageType::LivenessFile,
            (ImageKind::Liveness, true) => ImageType::LivenessBase64,
            (ImageKind::IdBack, false) => ImageType::IdBackFile,
            (ImageKind::IdBack, true) => ImageType::IdBackBase64,
        }
    }

    /// What the image shows.
    pub const fn kind(self) -> ImageKind {
        match self {
            ImageType::SelfieFile | ImageType::SelfieBase64 => ImageKind::Selfie,
            ImageType::IdFrontFile | ImageType::IdFrontBase64 => ImageKind::IdFront,
            ImageType::LivenessFile | ImageType::LivenessBase64 => ImageKind::Liveness,
            ImageType::IdBackFile | ImageType::IdBackBase64 => ImageKind::IdBack,
        }
    }

    /// True for file types (0, 1, 4, 5): the image is a zip entry.
    pub const fn is_file(self) -> bool {
        matches!(
            self,
            ImageType::SelfieFile
                | ImageType::IdFrontFile
                | ImageType::LivenessFile
                | ImageType::IdBackFile
        )
    }

    /// True for base64 types (2, 3, 6, 7): the image is inline in `info.json`.
    pub const fn is_base64(self) -> bool {
        !self.is_file()
    }
}

impl fmt::Display for ImageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.id())
    }
}

impl From<ImageType> for u8 {
    fn from(t: ImageType) -> u8 {
        t.id()
    }
}

impl TryFrom<u8> for ImageType {
    type Error = InvalidImageType;
    fn try_from(id: u8) -> Result<Self, Self::Error> {
        Self::from_id(id).ok_or(InvalidImageType(u64::from(id)))
    }
}

/// Error for an `image_type_id` outside `0..=7`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("image_type_id {0} is not one of 0..=7")]
#[non_exhaustive]
pub struct InvalidImageType(pub u64);

impl Serialize for ImageType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.id())
    }
}

impl<'de> Deserialize<'de> for ImageType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ImageType;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an image_type_id 0..=7 as a JSON number or numeric string")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ImageType, E> {
                u8::try_from(v)
                    .ok()
                    .and_then(ImageType::from_id)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ImageType, E> {
                u8::try_from(v)
                    .ok()
                    .and_then(ImageType::from_id)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ImageType, E> {
                let id = if v.len() == 1 {
                    v.parse::<u8>().ok()
                } else {
                    None
                };
                id.and_then(ImageType::from_id)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_protocol() {
        // (id, kind, file?) from docs/protocol.md §4.2
        let rows = [
            (0, ImageKind::Selfie, true),
            (1, ImageKind::IdFront, true),
            (2, ImageKind::Selfie, false),
            (3, ImageKind::IdFront, false),
            (4, ImageKind::Liveness, true),
            (5, ImageKind::IdBack, true),
            (6, ImageKind::Liveness, false),
            (7, ImageKind::IdBack, false),
        ];
        for (id, kind, file) in rows {
            let t = ImageType::from_id(id).unwrap();
            assert_eq!(t.id(), id);
            assert_eq!(t.kind(), kind);
            assert_eq!(t.is_file(), file);
            assert_eq!(t.is_base64(), !file);
            assert_eq!(ImageType::new(kind, !file), t);
            assert_eq!(ImageType::ALL[usize::from(id)], t);
        }
        assert_eq!(ImageType::from_id(8), None);
    }

    #[test]
    fn serde() {
        assert_eq!(
            serde_json::to_string(&ImageType::IdBackBase64).unwrap(),
            "7"
        );
        assert_eq!(
            serde_json::from_str::<ImageType>("\"4\"").unwrap(),
            ImageType::LivenessFile
        );
        assert!(serde_json::from_str::<ImageType>("8").is_err());
        assert!(serde_json::from_str::<ImageType>("-1").is_err());
        assert!(serde_json::from_str::<ImageType>("\"04\"").is_err());
    }
}
