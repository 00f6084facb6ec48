//! A request [`Body`](smile_core::Body) as a reqwest body that sends its chunks as they are.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};

/// The reqwest body of a request: a single chunk as it is (reqwest can resend it), several
/// chunks (the upload zip) as a streamed body whose frames are the chunks themselves, so hyper
/// writes them to the socket without joining them (vectored writes), with their exact length
/// (a fixed `Content-Length`, never chunked transfer encoding).
pub(crate) fn reqwest_body(body: smile_core::Body) -> reqwest::Body {
    if body.chunks().len() <= 1 {
        return reqwest::Body::from(body.to_bytes());
    }
    reqwest::Body::wrap(Chunks {
        remaining: body.len() as u64,
        chunks: body.into_chunks().into(),
    })
}

/// The chunks still to send.
struct Chunks {
    chunks: VecDeque<Bytes>,
    remaining: u64,
}

impl http_body::Body for Chunks {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let next = self.chunks.pop_front();
        if let Some(chunk) = &next {
            self.remaining -= chunk.len() as u64;
        }
        Poll::Ready(next.map(|c| Ok(Frame::data(c))))
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body::Body as _;

    #[test]
    fn frames_are_the_chunks_with_an_exact_size() {
        let a = Bytes::from(vec![1u8; 10]);
        let b = Bytes::from(vec![2u8; 5]);
        let mut body = Chunks {
            remaining: 15,
            chunks: vec![a.clone(), b.clone()].into(),
        };
        assert_eq!(body.size_hint().exact(), Some(15));
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut frames = Vec::new();
        while let Poll::Ready(Some(Ok(f))) = Pin::new(&mut body).poll_frame(&mut cx) {
            frames.push(f.into_data().unwrap());
        }
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0].as_ptr(), a.as_ptr(), "sent as it is, not copied");
        assert_eq!(frames[1], b);
        assert!(body.is_end_stream());
        assert_eq!(body.size_hint().exact(), Some(0));
    }
}
