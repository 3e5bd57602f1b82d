"""The streaming measurements: a chunk-timing tap in front of the fake upstream, and a client that
reads SSE streams from the raw socket.

Why a tap: a client alone sees when each chunk arrives, not when the upstream sent it, so it
cannot tell a proxy's per-chunk delay from the upstream's own pacing jitter. The tap is a plain
TCP relay between whoever calls the upstream (a proxy, or the client itself for "direct") and the
fake; it notes the instant it hands each content chunk on. Tap and client run on one event loop
with one clock, so for every chunk, arrival at the client minus hand-off by the tap is the time it
spent in the proxy (plus the same loop overhead that the direct baseline has).

A stream is recognised at the tap by the id in its prompt ("bench-stream-N"), which every proxy
forwards unchanged.
"""

import asyncio
import itertools
import json
import re
import socket
import time

STREAM_ID = re.compile(rb"bench-stream-(\d+)")
_ids = itertools.count(1)


def now():
    return time.perf_counter()


# Byte patterns rather than JSON parsing: the client and the tap share one CPU with the fake, so
# the less work per chunk they do, the less their own queueing shows up in the figures. The
# fake's and every proxy's chunks carry the delta as {"content":"...", ...}; an empty content
# (the role chunk) is not a content chunk.
CONTENT = re.compile(rb'"delta":\{[^{}]*?"content":"[^"]')
USAGE = re.compile(rb'"usage":\{[^}]*"completion_tokens"')
DONE = b"data: [DONE]"


def scan(raw):
    """Content chunks, whether a usage object, whether the end marker, in complete SSE events."""
    return len(CONTENT.findall(raw)), USAGE.search(raw) is not None, DONE in raw


class Tap:
    """The relay. `sent[stream_id]` lists when each content chunk of that stream left the tap."""

    # Upstream connections opened ahead of need, so that a caller on a new connection (the
    # direct baseline) does not wait for one where a proxy's pooled connection would not.
    SPARE = 24

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.sent = {}
        self.server = None
        self.port = None
        self.spare = asyncio.Queue()
        self.writers = set()
        self.tasks = set()

    async def start(self, port):
        for _ in range(self.SPARE):
            await self.spare.put(await self._connect())
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", port)
        self.port = port

    async def stop(self):
        self.server.close()
        for writer in list(self.writers):
            writer.close()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        while not self.spare.empty():
            self.spare.get_nowait()[1].close()

    async def _connect(self):
        reader, writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        _nodelay(writer)
        return reader, writer

    async def _replenish(self):
        try:
            await self.spare.put(await self._connect())
        except OSError:
            pass

    async def _relay(self, down_reader, down_writer):
        relay = asyncio.current_task()
        self.tasks.add(relay)
        relay.add_done_callback(self.tasks.discard)
        _nodelay(down_writer)
        try:
            up_reader, up_writer = self.spare.get_nowait()
            task = asyncio.ensure_future(self._replenish())
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        except asyncio.QueueEmpty:
            try:
                up_reader, up_writer = await self._connect()
            except OSError:
                down_writer.close()
                return
        self.writers.update((down_writer, up_writer))
        # The fake does not set TCP_NODELAY: on a kept-alive connection each streamed chunk
        # would wait for this side's delayed ACK (up to 40 ms) and arrive merged with the next
        # ones. Acknowledging every read at once keeps the fake's pacing intact.
        up_sock = up_writer.get_extra_info("socket")
        # Requests on a kept-alive connection come one after another: the id last seen going up
        # names the response coming down.
        current = {"id": None}

        async def upward():
            tail = b""
            try:
                while data := await down_reader.read(65536):
                    found = STREAM_ID.findall(tail + data)
                    if found:
                        current["id"] = int(found[-1])
                    tail = data[-40:]
                    up_writer.write(data)
            except (ConnectionError, OSError):
                pass
            finally:
                up_writer.close()

        async def downward():
            pending = b""
            try:
                while data := await up_reader.read(65536):
                    down_writer.write(data)
                    t = now()
                    if up_sock is not None:
                        up_sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
                    pending += data
                    cut = pending.rfind(b"\n\n")
                    if cut < 0:
                        continue
                    complete, pending = pending[: cut + 2], pending[cut + 2 :]
                    n = scan(complete)[0]
                    if n and current["id"] is not None:
                        self.sent.setdefault(current["id"], []).extend([t] * n)
            except (ConnectionError, OSError):
                pass
            finally:
                down_writer.close()

        try:
            await asyncio.gather(upward(), downward())
        finally:
            self.writers.difference_update((down_writer, up_writer))


def _nodelay(writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class Dechunker:
    """Incremental HTTP/1.1 chunked-body decoder that hands on data as soon as it arrives (a
    chunk split across reads is not held back)."""

    def __init__(self):
        self.buf = b""
        self.left = 0  # bytes of the current chunk still to come
        self.crlf = False  # a chunk's trailing CRLF is next
        self.done = False

    def feed(self, data):
        self.buf += data
        out = []
        while self.buf and not self.done:
            if self.left:
                take = self.buf[: self.left]
                out.append(take)
                self.left -= len(take)
                self.buf = self.buf[len(take) :]
                self.crlf = self.left == 0
            elif self.crlf:
                if len(self.buf) < 2:
                    break
                self.buf, self.crlf = self.buf[2:], False
            else:
                line_end = self.buf.find(b"\r\n")
                if line_end < 0:
                    break
                size = int(self.buf[:line_end].split(b";")[0], 16)
                self.buf = self.buf[line_end + 2 :]
                if size == 0:
                    self.done = True
                else:
                    self.left = size
        return b"".join(out)


async def one_stream(port, model, headers, chunks, delay_ms, start_after=0.0, timeout=60):
    """One streamed chat completion over a fresh connection, begun `start_after` seconds from
    now. Returns what the client saw."""
    await asyncio.sleep(start_after)
    stream_id = next(_ids)
    body = json.dumps(
        {
            "model": model,
            "messages": [{"role": "user", "content": f"bench-stream-{stream_id}"}],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
    ).encode()
    head = [
        "POST /v1/chat/completions HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        f"x-fake-chunks: {chunks}",
        f"x-fake-chunk-delay-ms: {delay_ms}",
        "Connection: close",
    ] + [f"{k}: {v}" for k, v in headers.items()]
    result = {
        "id": stream_id,
        "status": None,
        "ttfb": None,
        "arrivals": [],  # one instant per content chunk
        "merged": 0,  # content chunks that arrived in the same read as an earlier one
        "usage": False,
        "done": False,
        "error": None,
    }
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError as e:
        result["error"] = f"connect: {e}"
        return result
    _nodelay(writer)
    try:
        await asyncio.wait_for(_read_stream(reader, writer, head, body, result), timeout)
    except (asyncio.TimeoutError, ConnectionError, OSError, ValueError) as e:
        result["error"] = f"{type(e).__name__}: {e}"
    finally:
        writer.close()
    if result["status"] != 200 and not result["error"]:
        result["error"] = f"HTTP {result['status']}"
    return result


async def _read_stream(reader, writer, head, body, result):
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    sent = now()
    raw_head = b""
    decoder = None
    pending = b""
    while True:
        data = await reader.read(65536)
        t = now()
        if not data:
            return
        if result["ttfb"] is None:
            result["ttfb"] = t - sent
        if decoder is None:
            raw_head += data
            end = raw_head.find(b"\r\n\r\n")
            if end < 0:
                continue
            status_line, *lines = raw_head[:end].decode("latin-1").split("\r\n")
            result["status"] = int(status_line.split()[1])
            chunked = any(
                line.lower().startswith("transfer-encoding:") and "chunked" in line.lower()
                for line in lines
            )
            decoder = Dechunker() if chunked else None
            data = raw_head[end + 4 :]
            if decoder is None:
                decoder = _Identity()
        pending += decoder.feed(data)
        cut = pending.rfind(b"\n\n")
        if cut >= 0:
            complete, pending = pending[: cut + 2], pending[cut + 2 :]
            n, usage, done = scan(complete)
            result["usage"] |= usage
            result["done"] |= done
            result["arrivals"].extend([t] * n)
            result["merged"] += max(0, n - 1)
        if decoder.done:
            return


class _Identity:
    done = False

    def feed(self, data):
        return data
