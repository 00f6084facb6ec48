//! Image content sniffing: JPEG and PNG by their leading signature bytes ([protocol §5.2](smile_types::protocol#52-step-1-local-validation)).

use std::fmt;

/// The image formats the upload accepts, recognised by content (never by file name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ImageFormat {
    /// JPEG: starts with `FF D8 FF`.
    Jpeg,
    /// PNG: starts with `89 50 4E 47 0D 0A 1A 0A`.
    Png,
}

/// The JPEG signature (start-of-image marker followed by the first marker's `FF`).
const JPEG_MAGIC: [u8; 3] = [0xFF, 0xD8, 0xFF];
/// The PNG signature.
const PNG_MAGIC: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

impl ImageFormat {
    /// The format of `bytes` by its signature, or `None` when it is neither JPEG nor PNG.
    ///
    /// ```
    /// use smile_package::ImageFormat;
    /// assert_eq!(ImageFormat::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(ImageFormat::Jpeg));
    /// assert_eq!(ImageFormat::sniff(b"\x89PNG\r\n\x1a\n...."), Some(ImageFormat::Png));
    /// assert_eq!(ImageFormat::sniff(b"hello"), None);
    /// ```
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&JPEG_MAGIC) {
            Some(ImageFormat::Jpeg)
        } else if bytes.starts_with(&PNG_MAGIC) {
            Some(ImageFormat::Png)
        } else {
            None
        }
    }

    /// The file extension used for generated entry names: `jpg` or `png`.
    pub const fn extension(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "jpg",
            ImageFormat::Png => "png",
        }
    }

    /// The MIME type: `image/jpeg` or `image/png`.
    pub const fn mime_type(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Png => "image/png",
        }
    }
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ImageFormat::Jpeg => "JPEG",
            ImageFormat::Png => "PNG",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures() {
        assert_eq!(
            ImageFormat::sniff(&[0xFF, 0xD8, 0xFF]),
            Some(ImageFormat::Jpeg)
        );
        assert_eq!(ImageFormat::sniff(&[0xFF, 0xD8]), None);
        assert_eq!(ImageFormat::sniff(&[0xFF, 0xD8, 0x00]), None);
        assert_eq!(ImageFormat::sniff(&PNG_MAGIC), Some(ImageFormat::Png));
        assert_eq!(ImageFormat::sniff(&PNG_MAGIC[..7]), None);
        assert_eq!(ImageFormat::sniff(b""), None);
        assert_eq!(ImageFormat::sniff(b"GIF89a"), None);
        assert_eq!(ImageFormat::Png.extension(), "png");
        assert_eq!(ImageFormat::Jpeg.mime_type(), "image/jpeg");
        assert_eq!(ImageFormat::Jpeg.to_string(), "JPEG");
    }
}
