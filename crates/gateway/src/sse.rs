//! Server-sent events: splitting a byte stream into whole events without copying, and reading an
//! event's `data:`.

use std::borrow::Cow;

use bytes::{Bytes, BytesMut};

/// Splits chunks into whole events (each including its blank-line terminator). Complete events
/// are slices of the incoming chunks; only an event split across chunks is copied.
#[derive(Default)]
pub struct EventSplitter {
    partial: BytesMut,
    /// How far into `partial` has already been searched for a terminator.
    scanned: usize,
}

impl EventSplitter {
    pub fn feed(&mut self, chunk: Bytes, mut on_event: impl FnMut(Bytes)) {
        if self.partial.is_empty() {
            let mut rest = chunk;
            while let Some(end) = blank_line_end(&rest, 0) {
                on_event(rest.split_to(end));
            }
            self.partial.extend_from_slice(&rest);
            self.scanned = 0;
            return;
        }
        self.partial.extend_from_slice(&chunk);
        while let Some(end) = blank_line_end(&self.partial, self.scanned) {
            on_event(self.partial.split_to(end).freeze());
            self.scanned = 0;
        }
        // A terminator may straddle the next chunk's start: rescan the last 3 bytes then.
        self.scanned = self.partial.len().saturating_sub(3);
    }

    /// Whatever is left when the stream ends without a final blank line.
    pub fn finish(&mut self) -> Option<Bytes> {
        (!self.partial.is_empty()).then(|| self.partial.split().freeze())
    }
}

/// The end (exclusive) of the first blank line in `buf`, searching from `from`: the position
/// after `\n\n`, `\r\n\r\n` or `\n\r\n`. It ends an SSE event, and an HTTP/1 head (framing.rs).
pub(crate) fn blank_line_end(buf: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(i) = memchr::memchr(b'\n', &buf[at..]) {
        let nl = at + i;
        match buf.get(nl + 1) {
            Some(b'\n') => return Some(nl + 2),
            Some(b'\r') if buf.get(nl + 2) == Some(&b'\n') => return Some(nl + 3),
            _ => at = nl + 1,
        }
    }
    None
}

/// The event's data: its `data:` lines joined by newlines (borrowed when there is one line).
pub fn data(event: &[u8]) -> Option<Cow<'_, [u8]>> {
    let mut lines = event
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter_map(|l| l.strip_prefix(b"data:"))
        .map(|l| l.strip_prefix(b" ").unwrap_or(l));
    let first = lines.next()?;
    match lines.next() {
        None => Some(Cow::Borrowed(first)),
        Some(second) => {
            let mut joined = first.to_vec();
            for l in std::iter::once(second).chain(lines) {
                joined.push(b'\n');
                joined.extend_from_slice(l);
            }
            Some(Cow::Owned(joined))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut s = EventSplitter::default();
        let mut out = Vec::new();
        for c in chunks {
            s.feed(Bytes::copy_from_slice(c), |e| out.push(e.to_vec()));
        }
        if let Some(rest) = s.finish() {
            out.push(rest.to_vec());
        }
        out
    }

    #[test]
    fn whole_events_in_one_chunk_come_out_separately() {
        let out = split(&[b"data: 1\n\ndata: 2\n\n"]);
        assert_eq!(out, [b"data: 1\n\n".to_vec(), b"data: 2\n\n".to_vec()]);
    }

    #[test]
    fn events_split_anywhere_are_rejoined() {
        let whole = b"event: a\ndata: {\"x\":1}\n\ndata: [DONE]\n\n";
        for cut in 1..whole.len() {
            let out = split(&[&whole[..cut], &whole[cut..]]);
            assert_eq!(
                out,
                [
                    b"event: a\ndata: {\"x\":1}\n\n".to_vec(),
                    b"data: [DONE]\n\n".to_vec()
                ],
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn crlf_terminators() {
        let out = split(&[b"data: 1\r\n\r\ndata: 2\r\n", b"\r\n"]);
        assert_eq!(
            out,
            [b"data: 1\r\n\r\n".to_vec(), b"data: 2\r\n\r\n".to_vec()]
        );
    }

    #[test]
    fn unterminated_tail_is_kept_for_finish() {
        assert_eq!(split(&[b"data: 1\n\ndata: 2"]).len(), 2);
    }

    #[test]
    fn data_lines_are_joined() {
        assert_eq!(data(b"event: x\ndata: a\n\n").unwrap().as_ref(), b"a");
        assert_eq!(
            data(b"data: a\r\ndata: b\r\n\r\n").unwrap().as_ref(),
            b"a\nb"
        );
        assert_eq!(data(b": comment\n\n"), None);
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    /// `bytes` fed in pieces cut at `cuts`: the events out, then what `finish` returns.
    fn split_at(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        cuts.sort_unstable();
        let mut splitter = EventSplitter::default();
        let mut out = Vec::new();
        let mut from = 0;
        for cut in cuts.into_iter().chain([bytes.len()]) {
            let chunk = Bytes::copy_from_slice(&bytes[from..cut]);
            splitter.feed(chunk, |e| out.push(e.to_vec()));
            from = cut;
        }
        out.extend(splitter.finish().map(|e| e.to_vec()));
        out
    }

    /// An SSE event as providers write them, with any of the three blank-line endings.
    fn event() -> impl Strategy<Value = Vec<u8>> {
        (
            proptest::option::of("[a-z_.]{1,20}"),
            proptest::collection::vec("[ -~]{0,40}", 1..4),
            prop_oneof![Just("\n"), Just("\r\n")],
        )
            .prop_map(|(name, lines, eol)| {
                let mut e = String::new();
                if let Some(name) = name {
                    e.push_str(&format!("event: {name}{eol}"));
                }
                for line in lines {
                    e.push_str(&format!("data: {line}{eol}"));
                }
                e.push_str(eol);
                e.into_bytes()
            })
    }

    proptest! {
        #[test]
        fn no_byte_is_lost_or_added_whatever_the_input(
            bytes in proptest::collection::vec(any::<u8>(), 0..600),
            cuts in proptest::collection::vec(any::<usize>(), 0..12),
        ) {
            prop_assert_eq!(split_at(&bytes, &cuts).concat(), bytes);
        }

        #[test]
        fn events_come_out_whole_however_the_stream_is_chunked(
            events in proptest::collection::vec(event(), 1..8),
            cuts in proptest::collection::vec(any::<usize>(), 0..12),
        ) {
            let stream = events.concat();
            prop_assert_eq!(split_at(&stream, &cuts), events);
        }

        #[test]
        fn reading_data_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = data(&bytes);
        }
    }
}
