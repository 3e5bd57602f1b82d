//! The provider's WebSocket frames (RFC 6455), parsed as they pass for the usage its text
//! messages report. It never holds more than a frame's header and a message worth reading.

use crate::usage::{self, Usage};

/// The largest message read for usage; bigger ones (audio) pass unread.
const MAX_READ_MESSAGE: usize = 1024 * 1024;

/// The provider's frames, parsed as they pass, for the usage in its text messages. Holds at
/// most a frame's header and a message worth reading; anything larger passes unread.
#[derive(Default)]
pub(super) struct Frames {
    pending: Vec<u8>,
    /// Bytes of an unread (too large) frame still to pass.
    to_skip: usize,
    message: Vec<u8>,
    /// A text message is being assembled.
    reading: bool,
    pub(super) usage: Option<Usage>,
}

struct FrameHeader {
    len: usize,
    payload: usize,
    fin: bool,
    opcode: u8,
    mask: Option<[u8; 4]>,
}

impl Frames {
    pub(super) fn feed(&mut self, mut bytes: &[u8]) {
        if self.to_skip > 0 {
            let n = self.to_skip.min(bytes.len());
            self.to_skip -= n;
            bytes = &bytes[n..];
        }
        self.pending.extend_from_slice(bytes);
        while let Some(h) = header(&self.pending) {
            if h.payload > MAX_READ_MESSAGE {
                // Too large to read (audio): let it pass unread.
                let have = self.pending.len() - h.len;
                if have >= h.payload {
                    self.pending.drain(..h.len + h.payload);
                } else {
                    self.to_skip = h.payload - have;
                    self.pending.clear();
                }
                if h.opcode < 8 {
                    self.reading = false;
                    self.message.clear();
                }
                continue;
            }
            if self.pending.len() < h.len + h.payload {
                return;
            }
            let mut payload = self.pending[h.len..h.len + h.payload].to_vec();
            if let Some(key) = h.mask {
                for (i, b) in payload.iter_mut().enumerate() {
                    *b ^= key[i % 4];
                }
            }
            self.pending.drain(..h.len + h.payload);
            self.frame(h.fin, h.opcode, &payload);
        }
    }

    fn frame(&mut self, fin: bool, opcode: u8, payload: &[u8]) {
        match opcode {
            1 => {
                self.reading = true;
                self.message.clear();
            }
            0 => {}
            2 => {
                self.reading = false;
                return;
            }
            // Control frames (close, ping, pong) may come between a message's fragments.
            _ => return,
        }
        if !self.reading {
            return;
        }
        if self.message.len() + payload.len() > MAX_READ_MESSAGE {
            self.reading = false;
            self.message.clear();
            return;
        }
        self.message.extend_from_slice(payload);
        if !fin {
            return;
        }
        if usage::mentions_usage(&self.message)
            && let Some(found) = usage::read(&self.message).and_then(|r| r.usage)
        {
            // Each `response.done` reports its own response: a session's usage is the sum.
            let sum = self.usage.get_or_insert_default();
            sum.input = add(sum.input, found.input);
            sum.output = add(sum.output, found.output);
            sum.total = add(sum.total, found.total());
            sum.cached = add(sum.cached, found.cached);
        }
        self.message.clear();
        self.reading = false;
    }
}

fn add(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
    }
}

/// A frame's header (RFC 6455 §5.2), once all of it has come.
fn header(bytes: &[u8]) -> Option<FrameHeader> {
    let (&b0, &b1) = (bytes.first()?, bytes.get(1)?);
    let masked = b1 & 0x80 != 0;
    let (payload, mut len) = match b1 & 0x7f {
        126 => (
            usize::from(u16::from_be_bytes([*bytes.get(2)?, *bytes.get(3)?])),
            4,
        ),
        127 => {
            let raw: [u8; 8] = bytes.get(2..10)?.try_into().ok()?;
            (
                usize::try_from(u64::from_be_bytes(raw)).unwrap_or(usize::MAX),
                10,
            )
        }
        n => (usize::from(n), 2),
    };
    let mask = if masked {
        let key: [u8; 4] = bytes.get(len..len + 4)?.try_into().ok()?;
        len += 4;
        Some(key)
    } else {
        None
    };
    Some(FrameHeader {
        len,
        payload,
        fin: b0 & 0x80 != 0,
        opcode: b0 & 0x0f,
        mask,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![u8::from(fin) << 7 | opcode];
        match payload.len() {
            n if n < 126 => out.push(n as u8),
            n if n <= 0xffff => {
                out.push(126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(payload);
        out
    }

    const DONE: &[u8] = br#"{"type":"response.done","response":{"usage":{"total_tokens":30,"input_tokens":12,"output_tokens":18}}}"#;

    #[test]
    fn usage_is_summed_over_responses_however_the_bytes_are_cut() {
        let mut stream = frame(true, 1, br#"{"type":"session.created"}"#);
        stream.extend(frame(true, 9, b"ping"));
        stream.extend(frame(false, 1, &DONE[..20]));
        stream.extend(frame(true, 10, b""));
        stream.extend(frame(true, 0, &DONE[20..]));
        stream.extend(frame(true, 2, &[0u8; 300]));
        stream.extend(frame(true, 1, DONE));
        for cut in [1, 3, 7, 64, stream.len()] {
            let mut f = Frames::default();
            for piece in stream.chunks(cut) {
                f.feed(piece);
            }
            let u = f.usage.unwrap();
            assert_eq!(
                (u.input, u.output, u.total),
                (Some(24), Some(36), Some(60)),
                "cut {cut}"
            );
        }
    }

    #[test]
    fn a_frame_too_large_to_read_passes_unread_and_unheld() {
        let mut stream = frame(true, 1, &vec![b'a'; MAX_READ_MESSAGE + 10]);
        stream.extend(frame(true, 1, DONE));
        let mut f = Frames::default();
        for piece in stream.chunks(4096) {
            f.feed(piece);
            assert!(f.pending.len() <= 4096 + 14, "{}", f.pending.len());
        }
        assert_eq!(f.usage.unwrap().total, Some(30));
    }
}
