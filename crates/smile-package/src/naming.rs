//! Zip entry names for file images ([protocol §5.6](smile_types::protocol#56-step-3-cont-the-zip) item 5).
//!
//! 1. Take the base name of the source path and replace every character outside
//!    `[A-Za-z0-9._-]` with `_`.
//! 2. If that is empty or starts with `.`, or the image came from in-memory bytes, generate
//!    `selfie.jpg`, `liveness_<n>.jpg` (n = 1-based position among the liveness images of the
//!    list), `id_card_front.jpg` or `id_card_back.jpg` (`.png` for PNG content).
//! 3. If the name equals `info.json` or an earlier entry's name, compared ASCII
//!    case-insensitively, insert `_2`, `_3`, … before the extension (the smallest free one).

use std::path::Path;

use smile_types::ImageKind;

use crate::ImageFormat;

/// The name of the `info.json` entry (always first in the zip).
pub(crate) const INFO_JSON: &str = "info.json";

/// Replaces every character outside `[A-Za-z0-9._-]` with `_`.
pub(crate) fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The generated name for an image of `kind`; `liveness_n` is its 1-based liveness position.
pub(crate) fn generated(kind: ImageKind, liveness_n: usize, format: ImageFormat) -> String {
    let ext = format.extension();
    match kind {
        ImageKind::Selfie => format!("selfie.{ext}"),
        ImageKind::Liveness => format!("liveness_{liveness_n}.{ext}"),
        ImageKind::IdFront => format!("id_card_front.{ext}"),
        ImageKind::IdBack => format!("id_card_back.{ext}"),
    }
}

/// The candidate name before the uniqueness step: the sanitised base name of `path`, or the
/// generated name when there is no path or the sanitised name is empty or starts with `.`.
pub(crate) fn candidate(
    path: Option<&Path>,
    kind: ImageKind,
    liveness_n: usize,
    format: ImageFormat,
) -> String {
    if let Some(base) = path.and_then(Path::file_name) {
        let name = sanitize(&base.to_string_lossy());
        if !name.is_empty() && !name.starts_with('.') {
            return name;
        }
    }
    generated(kind, liveness_n, format)
}

/// Hands out unique entry names in order.
#[derive(Debug)]
pub(crate) struct EntryNamer {
    /// Lower-cased names already taken, starting with `info.json`.
    taken: Vec<String>,
}

impl Default for EntryNamer {
    fn default() -> Self {
        EntryNamer {
            taken: vec![INFO_JSON.to_owned()],
        }
    }
}

impl EntryNamer {
    /// Returns `name`, or `name` with the smallest free `_<k>` (k ≥ 2) inserted before the
    /// extension, and marks the result as taken.
    pub(crate) fn unique(&mut self, name: String) -> String {
        let chosen = if self.is_free(&name) {
            name
        } else {
            let (stem, ext) = match name.rfind('.') {
                Some(dot) => name.split_at(dot),
                None => (name.as_str(), ""),
            };
            let mut k = 2u64;
            loop {
                let attempt = format!("{stem}_{k}{ext}");
                if self.is_free(&attempt) {
                    break attempt;
                }
                k += 1;
            }
        };
        self.taken.push(chosen.to_ascii_lowercase());
        chosen
    }

    fn is_free(&self, name: &str) -> bool {
        !self.taken.iter().any(|t| t.eq_ignore_ascii_case(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitising() {
        assert_eq!(sanitize("selfie.jpg"), "selfie.jpg");
        assert_eq!(sanitize("my selfie (1).JPG"), "my_selfie__1_.JPG");
        assert_eq!(sanitize("photo-é.jpg"), "photo-_.jpg");
        assert_eq!(sanitize("a/b\\c"), "a_b_c");
    }

    #[test]
    fn candidates() {
        let jpg = ImageFormat::Jpeg;
        let p = |s: &str| Some(Path::new(s).to_path_buf());
        assert_eq!(
            candidate(p("/x/y/selfie.jpg").as_deref(), ImageKind::Selfie, 0, jpg),
            "selfie.jpg"
        );
        assert_eq!(
            candidate(p("/x/.hidden.jpg").as_deref(), ImageKind::Liveness, 3, jpg),
            "liveness_3.jpg"
        );
        assert_eq!(
            candidate(p("/").as_deref(), ImageKind::IdFront, 0, ImageFormat::Png),
            "id_card_front.png"
        );
        assert_eq!(
            candidate(p("..").as_deref(), ImageKind::IdBack, 0, jpg),
            "id_card_back.jpg"
        );
        assert_eq!(
            candidate(None, ImageKind::IdBack, 0, jpg),
            "id_card_back.jpg"
        );
        assert_eq!(
            candidate(p("frame-0001").as_deref(), ImageKind::Liveness, 1, jpg),
            "frame-0001"
        );
    }

    #[test]
    fn uniqueness() {
        let mut n = EntryNamer::default();
        assert_eq!(n.unique("selfie.jpg".into()), "selfie.jpg");
        assert_eq!(n.unique("SELFIE.JPG".into()), "SELFIE_2.JPG");
        assert_eq!(n.unique("selfie_2.jpg".into()), "selfie_2_2.jpg");
        assert_eq!(n.unique("selfie.jpg".into()), "selfie_3.jpg");
        assert_eq!(n.unique("Info.JSON".into()), "Info_2.JSON");
        assert_eq!(n.unique("frame".into()), "frame");
        assert_eq!(n.unique("frame".into()), "frame_2");
        assert_eq!(n.unique("a.b.jpg".into()), "a.b.jpg");
        assert_eq!(n.unique("a.b.jpg".into()), "a.b_2.jpg");
    }
}
