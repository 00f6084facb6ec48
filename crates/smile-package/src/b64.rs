//! Strict base64 checking without materialising the decoded image ([protocol §6.1](smile_types::protocol#61-submit_job-job-types-1-2-4-6-11) rule 13).
//!
//! Strict base64 is: a length that is a multiple of 4, every character from the standard
//! alphabet except canonical padding (`=` or `==`) in the last 4-character quantum, and no
//! non-zero trailing bits before it. Quanta decode independently, so a text is valid exactly
//! when all but its last quantum are alphabet characters and the last quantum decodes strictly.
//! That is what the fast path checks: a branch-free alphabet scan (which the compiler
//! vectorises; several times faster than decoding) and a strict decode of the first 12 and the
//! last 4 characters only (the head bytes for the JPEG/PNG check, the padding). Only when the
//! fast path refuses a text is it decoded in fixed-size chunks into a stack buffer, to say
//! where and why. The decoded image itself is never stored: `info.json` carries the caller's
//! original text, so nothing needs it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::ImageFormat;

/// Base64 characters per chunk (a multiple of 4).
const CHUNK_CHARS: usize = 4096;
/// Decoded bytes per chunk.
const CHUNK_BYTES: usize = CHUNK_CHARS / 4 * 3;

/// What was wrong with a base64 image text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Base64Problem {
    /// The text is empty.
    Empty,
    /// The text starts with a `data:` URI prefix.
    DataUri,
    /// The text is not strict standard padded base64; the string says where and why.
    Invalid(String),
    /// The decoded image would be larger than the limit.
    TooLarge {
        /// Decoded size (exact when the text is valid, else the lower bound from its length).
        decoded: u64,
    },
    /// The text decodes, but not to a JPEG or PNG.
    NotImage,
}

/// A valid base64 image text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Base64Image {
    /// Length of the decoded bytes.
    pub(crate) decoded_len: u64,
    /// The decoded content's format.
    pub(crate) format: ImageFormat,
}

/// Checks `text` as a base64 image no larger than `max_decoded` bytes once decoded.
pub(crate) fn check_base64_image(
    text: &(impl AsRef<[u8]> + ?Sized),
    max_decoded: u64,
) -> Result<Base64Image, Base64Problem> {
    let bytes = text.as_ref();
    if bytes.is_empty() {
        return Err(Base64Problem::Empty);
    }
    if bytes.len() >= 5 && bytes[..5].eq_ignore_ascii_case(b"data:") {
        return Err(Base64Problem::DataUri);
    }
    // Smallest possible decoded size for this length (two padding characters): refuse huge
    // texts before scanning them.
    let min_decoded = (bytes.len() as u64 / 4 * 3).saturating_sub(2);
    if min_decoded > max_decoded {
        return Err(Base64Problem::TooLarge {
            decoded: min_decoded,
        });
    }
    let (decoded_len, head) = match validate_fast(bytes) {
        Some(ok) => ok,
        // Refused: the chunked decoder says where and why (and agrees that it is invalid).
        None => validate_chunked(bytes)?,
    };
    if decoded_len > max_decoded {
        return Err(Base64Problem::TooLarge {
            decoded: decoded_len,
        });
    }
    match ImageFormat::sniff(head.as_slice()) {
        Some(format) => Ok(Base64Image {
            decoded_len,
            format,
        }),
        None => Err(Base64Problem::NotImage),
    }
}

/// The first decoded bytes (enough for the longest signature, PNG's 8).
#[derive(Debug, Default)]
struct Head {
    bytes: [u8; 8],
    len: usize,
}

impl Head {
    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Characters per block of the alphabet scan: the scan stops at the first block with a
/// character outside the alphabet.
const SCAN_BLOCK: usize = 256;

/// Whether every byte of `block` is in the standard alphabet (`A-Z a-z 0-9 + /`; not `=`).
/// Written without branches or lookups so that it compiles to vector compares.
fn all_alphabet(block: &[u8]) -> bool {
    block.iter().fold(true, |ok, &b| {
        ok & ((b.wrapping_sub(b'A') < 26)
            | (b.wrapping_sub(b'a') < 26)
            | (b.wrapping_sub(b'0') < 10)
            | (b == b'+')
            | (b == b'/'))
    })
}

/// The fast path: the decoded length and first bytes when `bytes` is strict standard padded
/// base64, `None` when it is not (then [`validate_chunked`] reports why). See the module docs.
fn validate_fast(bytes: &[u8]) -> Option<(u64, Head)> {
    if bytes.is_empty() {
        // Valid base64 of nothing ([`check_base64_image`] refuses it before).
        return Some((0, Head::default()));
    }
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let (body, last) = bytes.split_at(bytes.len() - 4);
    if !body.chunks(SCAN_BLOCK).all(all_alphabet) {
        return None;
    }
    let mut quantum = [0u8; 3];
    let tail = STANDARD.decode_slice(last, &mut quantum).ok()?;
    // The first 12 characters (9 bytes; the whole text when it is shorter, padding included).
    let mut first = [0u8; 9];
    let n = STANDARD
        .decode_slice(&bytes[..bytes.len().min(12)], &mut first)
        .ok()?;
    let mut head = Head::default();
    head.len = usize::min(n, head.bytes.len());
    head.bytes[..head.len].copy_from_slice(&first[..head.len]);
    Some((body.len() as u64 / 4 * 3 + tail as u64, head))
}

/// Validates the whole text chunk by chunk; returns the decoded length and first bytes.
fn validate_chunked(bytes: &[u8]) -> Result<(u64, Head), Base64Problem> {
    let mut buf = [0u8; CHUNK_BYTES];
    let mut total = 0u64;
    let mut head = Head::default();
    let mut offset = 0usize;
    let mut chunks = bytes.chunks(CHUNK_CHARS).peekable();
    while let Some(chunk) = chunks.next() {
        let last = chunks.peek().is_none();
        // Only the final characters of the whole text may be padding. The decoder already
        // rejects a '=' anywhere in a chunk except at its end (a chunk is a multiple of 4
        // characters, so it may end in canonical padding of its own): an earlier chunk only
        // needs its last character looked at, not every byte scanned.
        if !last && chunk.last() == Some(&b'=') {
            return Err(padding_before_the_end(chunk, offset));
        }
        match STANDARD.decode_slice(chunk, &mut buf) {
            Ok(n) => {
                if offset == 0 {
                    head.len = usize::min(n, head.bytes.len());
                    head.bytes[..head.len].copy_from_slice(&buf[..head.len]);
                }
                total += n as u64;
            }
            // An earlier chunk holding a '=' is reported as padding before the end (at the
            // first '='), whatever else is wrong in it, as it always was.
            Err(_) if !last && chunk.contains(&b'=') => {
                return Err(padding_before_the_end(chunk, offset));
            }
            Err(e) => return Err(describe(e, offset, bytes.len())),
        }
        offset += chunk.len();
    }
    Ok((total, head))
}

/// The error for a chunk that is not the last and holds a `=`: at the first one. Only on the
/// error path, so the scan costs nothing on a valid text.
fn padding_before_the_end(chunk: &[u8], offset: usize) -> Base64Problem {
    let pos = chunk.iter().position(|&b| b == b'=').unwrap_or(0);
    invalid_at(offset + pos, b'=')
}

fn describe(e: base64::DecodeSliceError, offset: usize, len: usize) -> Base64Problem {
    use base64::{DecodeError, DecodeSliceError};
    match e {
        DecodeSliceError::DecodeError(DecodeError::InvalidByte(pos, b)) => {
            invalid_at(offset + pos, b)
        }
        DecodeSliceError::DecodeError(DecodeError::InvalidLastSymbol(pos, b)) => {
            Base64Problem::Invalid(format!(
                "the symbol {:?} at offset {} leaves non-zero trailing bits (not canonical base64)",
                char::from(b),
                offset + pos
            ))
        }
        DecodeSliceError::DecodeError(DecodeError::InvalidLength(_))
        | DecodeSliceError::DecodeError(DecodeError::InvalidPadding) => {
            Base64Problem::Invalid(format!(
                "the text has {len} characters and is not correctly padded with '=' to a multiple of 4"
            ))
        }
        DecodeSliceError::OutputSliceTooSmall => {
            // Cannot happen: the buffer holds a full chunk. Reported rather than panicking.
            Base64Problem::Invalid("internal decoder buffer too small".to_owned())
        }
    }
}

fn invalid_at(pos: usize, b: u8) -> Base64Problem {
    let what = match b {
        b' ' | b'\t' | b'\r' | b'\n' => {
            "whitespace or a line break (the text must be one unbroken line)".to_owned()
        }
        b'-' | b'_' => format!(
            "the URL-safe character {:?} (use the standard alphabet with '+' and '/')",
            char::from(b)
        ),
        b'=' => "padding '=' before the end of the text".to_owned(),
        b if b.is_ascii_graphic() => format!("the character {:?}", char::from(b)),
        b => format!("the byte 0x{b:02X}"),
    };
    Base64Problem::Invalid(format!("not standard base64: {what} at offset {pos}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const JPEG_1PX: &str = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQH/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AKp//2Q==";

    #[test]
    fn accepts_jpeg_and_png() {
        let ok = check_base64_image(JPEG_1PX, 1 << 20).unwrap();
        assert_eq!(ok.format, ImageFormat::Jpeg);
        assert_eq!(
            ok.decoded_len,
            STANDARD.decode(JPEG_1PX).unwrap().len() as u64
        );
        let png = STANDARD.encode(b"\x89PNG\r\n\x1a\nrest");
        assert_eq!(
            check_base64_image(&png, 100).unwrap().format,
            ImageFormat::Png
        );
    }

    #[test]
    fn problems() {
        assert_eq!(check_base64_image("", 10), Err(Base64Problem::Empty));
        assert_eq!(
            check_base64_image("data:image/jpeg;base64,/9j/", 10),
            Err(Base64Problem::DataUri)
        );
        assert_eq!(
            check_base64_image("DATA:x", 10),
            Err(Base64Problem::DataUri)
        );
        assert_eq!(
            check_base64_image("aGVsbG8=", 10),
            Err(Base64Problem::NotImage)
        );
        for bad in [
            "not base64!!",
            "aGVsbG8",
            "aGVsbG8==",
            "aGVsbG9=",
            "aGVs bG8=",
            "aGVs\nbG8=",
            "/9j-4A==",
            "/9j_4A==",
            "=aGVsbG8",
            "a",
        ] {
            assert!(
                matches!(check_base64_image(bad, 100), Err(Base64Problem::Invalid(_))),
                "{bad:?}"
            );
        }
        let Err(Base64Problem::Invalid(msg)) = check_base64_image("aGVs\nbG8=", 100) else {
            panic!()
        };
        assert!(
            msg.contains("line break") && msg.contains("offset 4"),
            "{msg}"
        );
        assert!(matches!(
            check_base64_image(JPEG_1PX, 10),
            Err(Base64Problem::TooLarge { .. })
        ));
    }

    #[test]
    fn padding_inside_a_long_text_is_rejected() {
        // A first chunk that is itself canonical ("...AA==") followed by more text.
        let mut text = "A".repeat(CHUNK_CHARS - 4);
        text.push_str("AA==");
        text.push_str("/9j/");
        assert!(matches!(
            check_base64_image(&text, 1 << 20),
            Err(Base64Problem::Invalid(_))
        ));
    }

    /// A valid JPEG text of 20,000 characters: four full chunks and most of a fifth (no padding
    /// of its own: 15,000 bytes).
    fn long_jpeg_text() -> String {
        let mut data = vec![0xFF, 0xD8, 0xFF];
        data.extend((0..3 * 5000 - 3).map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
        let text = STANDARD.encode(&data);
        assert!(text.len() > 4 * CHUNK_CHARS && !text.ends_with('='));
        assert!(check_base64_image(&text, 1 << 20).is_ok());
        text
    }

    /// `text` with these offsets replaced by `=`.
    fn with_padding_at(text: &str, offsets: &[usize]) -> String {
        let mut bytes = text.as_bytes().to_vec();
        for &at in offsets {
            bytes[at] = b'=';
        }
        String::from_utf8(bytes).unwrap()
    }

    fn padding_error_at(offset: usize) -> Result<Base64Image, Base64Problem> {
        Err(Base64Problem::Invalid(format!(
            "not standard base64: padding '=' before the end of the text at offset {offset}"
        )))
    }

    #[test]
    fn padding_in_the_middle_of_a_later_chunk_is_rejected() {
        let text = long_jpeg_text();
        // The second chunk, the third, the fourth, and the last (fifth) one.
        for at in [
            CHUNK_CHARS + 1234,
            2 * CHUNK_CHARS + 4001,
            3 * CHUNK_CHARS + 10,
            4 * CHUNK_CHARS + 7,
            text.len() - 3,
        ] {
            let bad = with_padding_at(&text, &[at]);
            assert_eq!(
                check_base64_image(&bad, 1 << 20),
                padding_error_at(at),
                "{at}"
            );
            // Two in a row ("==" in the middle) too.
            let bad = with_padding_at(&text, &[at, at + 1]);
            assert_eq!(
                check_base64_image(&bad, 1 << 20),
                padding_error_at(at),
                "{at}"
            );
        }
    }

    #[test]
    fn padding_at_a_chunk_boundary_is_rejected() {
        let text = long_jpeg_text();
        for chunk_end in [
            CHUNK_CHARS,
            2 * CHUNK_CHARS,
            3 * CHUNK_CHARS,
            4 * CHUNK_CHARS,
        ] {
            // The last one or two characters of a chunk (which alone would decode), and the
            // first one or two of the next.
            for offsets in [
                &[chunk_end - 1][..],
                &[chunk_end - 2, chunk_end - 1],
                &[chunk_end],
                &[chunk_end, chunk_end + 1],
                &[chunk_end - 1, chunk_end],
            ] {
                let bad = with_padding_at(&text, offsets);
                assert_eq!(
                    check_base64_image(&bad, 1 << 20),
                    padding_error_at(offsets[0]),
                    "{offsets:?}"
                );
            }
        }
    }

    #[test]
    fn padding_in_an_earlier_chunk_is_reported_before_other_problems_in_it() {
        // As before the fast path: a chunk that is not the last and holds a '=' is reported
        // at its first '=', even when another problem comes earlier in that chunk.
        let text = long_jpeg_text();
        let mut bad = with_padding_at(&text, &[CHUNK_CHARS + 900]).into_bytes();
        bad[CHUNK_CHARS + 100] = b' ';
        let bad = String::from_utf8(bad).unwrap();
        assert_eq!(
            check_base64_image(&bad, 1 << 20),
            padding_error_at(CHUNK_CHARS + 900)
        );
        // In the last chunk the first problem is reported, as the decoder finds it.
        let at = 4 * CHUNK_CHARS + 100;
        let mut bad = with_padding_at(&text, &[at + 50]).into_bytes();
        bad[at] = b' ';
        let Err(Base64Problem::Invalid(msg)) =
            check_base64_image(&String::from_utf8(bad).unwrap(), 1 << 20)
        else {
            panic!()
        };
        assert!(
            msg.contains(&format!(
                "whitespace or a line break (the text must be one unbroken line) at offset {at}"
            )),
            "{msg}"
        );
    }

    #[test]
    fn exact_limit() {
        let data = [&[0xFF, 0xD8, 0xFF][..], &[0u8; 97][..]].concat();
        let text = STANDARD.encode(&data);
        assert_eq!(check_base64_image(&text, 100).unwrap().decoded_len, 100);
        assert_eq!(
            check_base64_image(&text, 99),
            Err(Base64Problem::TooLarge { decoded: 100 })
        );
    }

    proptest! {
        /// The chunked validator and the fast path agree with a whole-text strict decode, for
        /// any text.
        #[test]
        fn agrees_with_full_decode(s in "[A-Za-z0-9+/=\\-_ ]{0,40}", n in 0usize..3) {
            // Repeat to cross chunk boundaries sometimes.
            let text = s.repeat(1 + n * 150);
            let full = STANDARD.decode(text.as_bytes());
            let chunked = validate_chunked(text.as_bytes());
            let fast = validate_fast(text.as_bytes());
            match (full, chunked, fast) {
                (Ok(v), Ok((len, head)), Some((fast_len, fast_head))) => {
                    prop_assert_eq!(v.len() as u64, len);
                    prop_assert_eq!(fast_len, len);
                    prop_assert_eq!(head.as_slice(), &v[..usize::min(8, v.len())]);
                    prop_assert_eq!(fast_head.as_slice(), head.as_slice());
                }
                (Err(_), Err(_), None) => {}
                (a, b, c) => prop_assert!(
                    false,
                    "full {:?} vs chunked {:?} vs fast {:?}",
                    a.map(|v| v.len()),
                    b,
                    c.map(|c| c.0)
                ),
            }
        }

        /// Valid texts with one byte changed: the fast path refuses exactly what a strict
        /// decode refuses (every byte value, every position, including the padding).
        #[test]
        fn fast_path_refuses_one_bad_byte(
            data in proptest::collection::vec(any::<u8>(), 1..600),
            at in any::<proptest::sample::Index>(),
            byte in any::<u8>(),
        ) {
            let mut text = STANDARD.encode(&data).into_bytes();
            let at = at.index(text.len());
            text[at] = byte;
            let full = STANDARD.decode(&text);
            let fast = validate_fast(&text);
            prop_assert_eq!(full.is_ok(), fast.is_some(), "at {} byte {}", at, byte);
            if let (Ok(v), Some((len, _))) = (full, fast) {
                prop_assert_eq!(v.len() as u64, len);
            }
        }

        /// Any bytes that start like a JPEG round-trip through encode + check.
        #[test]
        fn encoded_images_pass(tail in proptest::collection::vec(any::<u8>(), 0..10_000)) {
            let data = [&[0xFF, 0xD8, 0xFF][..], &tail[..]].concat();
            let text = STANDARD.encode(&data);
            let ok = check_base64_image(&text, 1 << 20).unwrap();
            prop_assert_eq!(ok.decoded_len, data.len() as u64);
        }
    }
}
