//! [`Body`]: a request body made of shared chunks.

use std::fmt;
use std::io;

use bytes::{Buf, Bytes};

/// The body of an [`HttpRequest`](crate::HttpRequest): shared [`Bytes`](https://docs.rs/bytes/1/bytes/struct.Bytes.html) chunks, sent in order.
///
/// A JSON request's body is one chunk. The upload zip is its headers and `info.json`'s own parts
/// as small chunks and every image as a chunk that shares the loaded job's bytes
/// ([`smile_package::build_zip_chunks`]): a job in flight holds its images once, and a transport
/// that can write chunks as they are (hyper's vectored writes) copies nothing before the socket.
///
/// A transport of your own reads it the simple way with [`to_vec`](Self::to_vec), as a
/// reader with [`reader`](Self::reader) or chunk by chunk with [`chunks`](Self::chunks);
/// [`len`](Self::len) is the `Content-Length` the request carries. `Debug` shows the length
/// and chunk count only (a body holds images and signatures).
///
/// ```
/// use std::io::Read as _;
/// use smile_core::Body;
///
/// let body = Body::from_chunks(vec![b"PK".to_vec().into(), b"\x03\x04".to_vec().into()]);
/// assert_eq!(body.len(), 4);
/// assert_eq!(body.chunks().len(), 2);
/// assert_eq!(body.to_vec(), b"PK\x03\x04");
/// let mut read = Vec::new();
/// body.reader().read_to_end(&mut read)?;
/// assert_eq!(read, body.to_vec());
/// assert_eq!(Body::from(b"{}".to_vec()).to_bytes(), &b"{}"[..]);
/// assert_eq!(format!("{body:?}"), "Body { len: 4, chunks: 2 }");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Body {
    chunks: Vec<Bytes>,
    len: usize,
}

impl Body {
    /// An empty body.
    #[must_use]
    pub fn empty() -> Self {
        Self::default()
    }

    /// A body of these chunks, in order (empty chunks are dropped).
    #[must_use]
    pub fn from_chunks(chunks: Vec<Bytes>) -> Self {
        let mut chunks = chunks;
        chunks.retain(|c| !c.is_empty());
        let len = chunks.iter().map(Bytes::len).sum();
        Body { chunks, len }
    }

    /// The length in bytes (the request's `Content-Length`).
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The chunks, in order; none is empty.
    #[must_use]
    pub fn chunks(&self) -> &[Bytes] {
        &self.chunks
    }

    /// The chunks, owned.
    #[must_use]
    pub fn into_chunks(self) -> Vec<Bytes> {
        self.chunks
    }

    /// The whole body in one new buffer (a copy).
    #[must_use]
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len);
        for c in &self.chunks {
            out.extend_from_slice(c);
        }
        out
    }

    /// The whole body as one [`Bytes`](https://docs.rs/bytes/1/bytes/struct.Bytes.html): shared when it is a single chunk, else a copy.
    #[must_use]
    pub fn to_bytes(&self) -> Bytes {
        match self.chunks.as_slice() {
            [] => Bytes::new(),
            [one] => one.clone(),
            _ => Bytes::from(self.to_vec()),
        }
    }

    /// A reader over the body that shares its chunks (no copy until it is read); it owns
    /// them, so it can outlive the body.
    #[must_use]
    pub fn reader(&self) -> BodyReader {
        BodyReader {
            chunks: self.chunks.clone().into(),
        }
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Body")
            .field("len", &self.len)
            .field("chunks", &self.chunks.len())
            .finish()
    }
}

impl From<Vec<u8>> for Body {
    fn from(v: Vec<u8>) -> Self {
        Bytes::from(v).into()
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        Body::from_chunks(vec![b])
    }
}

impl From<&'static [u8]> for Body {
    fn from(b: &'static [u8]) -> Self {
        Bytes::from_static(b).into()
    }
}

impl From<String> for Body {
    fn from(s: String) -> Self {
        Bytes::from(s).into()
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Self {
        Bytes::from_static(s.as_bytes()).into()
    }
}

impl From<Vec<Bytes>> for Body {
    fn from(chunks: Vec<Bytes>) -> Self {
        Body::from_chunks(chunks)
    }
}

impl PartialEq<[u8]> for Body {
    fn eq(&self, other: &[u8]) -> bool {
        self.len == other.len() && {
            let mut rest = other;
            self.chunks.iter().all(|c| {
                let (head, tail) = rest.split_at(c.len());
                rest = tail;
                head == &c[..]
            })
        }
    }
}

/// A [`Body`]'s bytes as an [`io::Read`] (see [`Body::reader`]); also a [`bytes::Buf`](https://docs.rs/bytes/1/bytes/trait.Buf.html).
#[derive(Clone, Default)]
pub struct BodyReader {
    chunks: std::collections::VecDeque<Bytes>,
}

impl fmt::Debug for BodyReader {
    /// What is left to read, by length only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyReader")
            .field("remaining", &self.remaining())
            .finish()
    }
}

impl io::Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            let Some(front) = self.chunks.front_mut() else {
                break;
            };
            let take = usize::min(front.len(), buf.len() - n);
            buf[n..n + take].copy_from_slice(&front[..take]);
            front.advance(take);
            n += take;
            if front.is_empty() {
                self.chunks.pop_front();
            }
        }
        Ok(n)
    }
}

impl Buf for BodyReader {
    fn remaining(&self) -> usize {
        self.chunks.iter().map(Bytes::len).sum()
    }

    fn chunk(&self) -> &[u8] {
        self.chunks.front().map_or(&[], |c| &c[..])
    }

    fn advance(&mut self, mut cnt: usize) {
        while cnt > 0 {
            let Some(front) = self.chunks.front_mut() else {
                return;
            };
            let take = usize::min(cnt, front.len());
            front.advance(take);
            cnt -= take;
            if front.is_empty() {
                self.chunks.pop_front();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    fn body() -> Body {
        Body::from_chunks(vec![
            Bytes::from_static(b"abc"),
            Bytes::new(),
            Bytes::from_static(b"defgh"),
            Bytes::from_static(b"i"),
        ])
    }

    #[test]
    fn reads_every_chunk_in_order_in_any_buffer_size() {
        let b = body();
        assert_eq!(b.chunks().len(), 3, "the empty chunk is dropped");
        for size in 1..=10 {
            let mut r = b.reader();
            let mut out = Vec::new();
            let mut buf = vec![0u8; size];
            loop {
                let n = r.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&buf[..n]);
            }
            assert_eq!(out, b"abcdefghi", "buffer of {size}");
        }
        assert!(b == b"abcdefghi"[..]);
        assert!(b != b"abcdefghX"[..]);
        assert!(b != b"abcdefgh"[..]);
    }

    #[test]
    fn buf_walks_the_chunks() {
        let mut r = body().reader();
        assert_eq!(r.remaining(), 9);
        assert_eq!(r.chunk(), b"abc");
        r.advance(4);
        assert_eq!(r.chunk(), b"efgh");
        r.advance(5);
        assert_eq!(r.remaining(), 0);
        assert_eq!(r.chunk(), b"");
    }

    #[test]
    fn debug_shows_lengths_only() {
        let b = Body::from(b"SECRET".to_vec());
        assert_eq!(format!("{b:?}"), "Body { len: 6, chunks: 1 }");
        assert_eq!(format!("{:?}", b.reader()), "BodyReader { remaining: 6 }");
    }

    #[test]
    fn one_chunk_is_shared_not_copied() {
        let data = Bytes::from(vec![1u8; 100]);
        let b = Body::from(data.clone());
        assert_eq!(b.to_bytes().as_ptr(), data.as_ptr());
        assert!(Body::empty().is_empty() && Body::empty().to_bytes().is_empty());
    }
}
