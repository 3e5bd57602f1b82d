//! The agent's stdio as ACP's line transport, checked at the line: a line that is not a JSON
//! object (an agent's stray `console.log`, garbage) is dropped and shown as a notice instead of
//! reaching the protocol, and a line longer than `MAX_LINE` is skipped whole instead of being
//! buffered without bound.

use futures::{SinkExt, StreamExt};
use tokio::process::{ChildStdin, ChildStdout};
use tokio_util::codec::{Decoder, FramedRead, FramedWrite, LinesCodec, LinesCodecError};

use crate::events::AgentEvent;

/// The largest message ClawBox reads from an agent (a whole file's content fits).
pub const MAX_LINE: usize = 16 * 1024 * 1024;

pub(crate) type Outgoing =
    std::pin::Pin<Box<dyn futures::Sink<String, Error = std::io::Error> + Send>>;
pub(crate) type Incoming =
    std::pin::Pin<Box<dyn futures::Stream<Item = std::io::Result<String>> + Send>>;

pub(crate) fn lines(
    stdin: ChildStdin,
    stdout: ChildStdout,
    events: tokio::sync::mpsc::UnboundedSender<AgentEvent>,
) -> agent_client_protocol::Lines<Outgoing, Incoming> {
    let outgoing =
        SinkExt::<String>::sink_map_err(FramedWrite::new(stdin, LinesCodec::new()), io_error);
    let incoming = FramedRead::new(
        stdout,
        CappedLines(LinesCodec::new_with_max_length(MAX_LINE)),
    )
    .filter_map(move |line| {
        let item = match line {
            Ok(Line::Text(line)) if is_json_object(&line) => Some(Ok(line)),
            Ok(Line::Text(line)) if line.trim().is_empty() => None,
            Ok(Line::Text(line)) => {
                let shown: String = line.chars().take(200).collect();
                let _ = events.send(AgentEvent::Notice {
                    message: format!("The agent printed a line that is not ACP (ignored): {shown}"),
                });
                None
            }
            Ok(Line::TooLong) => {
                let _ = events.send(AgentEvent::Notice {
                    message: format!(
                        "The agent sent a message over {} MiB; ClawBox skipped it",
                        MAX_LINE >> 20
                    ),
                });
                None
            }
            Err(error) => Some(Err(io_error(error))),
        };
        std::future::ready(item)
    });
    agent_client_protocol::Lines::new(Box::pin(outgoing), Box::pin(incoming))
}

fn is_json_object(line: &str) -> bool {
    line.trim_start().starts_with('{')
        && serde_json::from_str::<serde::de::IgnoredAny>(line).is_ok()
}

fn io_error(error: LinesCodecError) -> std::io::Error {
    match error {
        LinesCodecError::Io(error) => error,
        other => std::io::Error::other(other.to_string()),
    }
}

enum Line {
    Text(String),
    /// A line over `MAX_LINE`: skipped up to its newline, and reading goes on.
    TooLong,
}

/// `LinesCodec` with its length error turned into an item: `FramedRead` ends the stream at the
/// first error, and one oversized message should not end the session.
struct CappedLines(LinesCodec);

impl Decoder for CappedLines {
    type Item = Line;
    type Error = LinesCodecError;

    fn decode(&mut self, buf: &mut bytes::BytesMut) -> Result<Option<Line>, LinesCodecError> {
        capped(self.0.decode(buf))
    }

    fn decode_eof(&mut self, buf: &mut bytes::BytesMut) -> Result<Option<Line>, LinesCodecError> {
        capped(self.0.decode_eof(buf))
    }
}

fn capped(
    result: Result<Option<String>, LinesCodecError>,
) -> Result<Option<Line>, LinesCodecError> {
    match result {
        Ok(line) => Ok(line.map(Line::Text)),
        Err(LinesCodecError::MaxLineLengthExceeded) => Ok(Some(Line::TooLong)),
        Err(error) => Err(error),
    }
}
