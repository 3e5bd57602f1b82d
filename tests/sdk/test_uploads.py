"""Uploads and binary answers with the official OpenAI Python SDK through ClawBox: a WAV made
here transcribed, a file uploaded, an image edited, speech downloaded byte for byte, and a
100 MB upload that ClawBox streams without holding it."""

import base64
import io
import sqlite3
import time
import urllib.error
import urllib.request
import wave
from pathlib import Path

import openai
import pytest

KEY = "sk-sdk-uploads"


def wav(seconds=1, rate=16_000):
    """A mono 16-bit WAV of silence, as a voice agent would record one."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\0\0" * rate * seconds)
    return out.getvalue()


def memory_kb(pid, field):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


def test_audio_files_and_images_through_clawbox(gateway):
    client = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=KEY, max_retries=0)
    audio = wav()
    raw = client.audio.transcriptions.with_raw_response.create(
        model="gpt-4o-transcribe", file=("hello.wav", audio, "audio/wav")
    )
    assert raw.parse().text == f"Heard {len(audio)} bytes of hello.wav"
    row = gateway.row(raw.headers["x-request-id"])
    assert (row["endpoint"], row["model"], row["tokens_source"], row["tokens_est"], row["billing"]) == (
        "/v1/audio/transcriptions", "gpt-4o-transcribe", "reported", 20, "api",
    )

    data = b'{"custom_id": "1", "method": "POST", "url": "/v1/chat/completions", "body": {}}\n' * 100
    uploaded = client.files.create(file=("batch.jsonl", data), purpose="batch")
    assert (uploaded.bytes, uploaded.filename, uploaded.purpose) == (len(data), "batch.jsonl", "batch")

    edited = client.images.edit(model="gpt-image-1", image=("cat.png", b"\x89PNG fake"), prompt="add a hat")
    assert base64.b64decode(edited.data[0].b64_json) == b"edited: add a hat"


def test_speech_comes_back_byte_for_byte(gateway, provider):
    through = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=KEY, max_retries=0)
    direct = openai.OpenAI(base_url=f"{provider}/v1", api_key=KEY, max_retries=0)
    args = dict(model="gpt-4o-mini-tts", voice="alloy", input="hello from the speech test")
    spoken = through.audio.speech.create(**args).content
    assert len(spoken) == 48 * 1024
    assert spoken == direct.audio.speech.create(**args).content


def post_form(url, headers):
    """A form as a web page's <form> (or a script) would post it: urllib, no SDK."""
    boundary = "clawbox-test-boundary"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
        f"Content-Type: audio/wav\r\n\r\n"
    ).encode() + wav() + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        url, data=body, method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_a_form_a_web_page_could_send_never_reaches_the_provider(gateway):
    url = f"{gateway.url}/v1/audio/transcriptions"
    assert post_form(url, {}) == 415
    assert post_form(url, {"Authorization": f"Bearer {KEY}", "Origin": "https://evil.example"}) == 403
    for _ in range(100):  # rows land a moment after the answer
        with sqlite3.connect(gateway.data_dir / "clawbox.db") as db:
            refused = db.execute("SELECT status, upstream FROM requests ORDER BY id").fetchall()
        if len(refused) == 2:
            break
        time.sleep(0.02)
    assert refused == [(415, None), (403, None)], "logged, never forwarded"


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux's /proc")
def test_a_100_mb_upload_streams_through_without_being_held(gateway):
    client = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=KEY, max_retries=0, timeout=300)
    pid = gateway.proc.pid
    client.models.list()  # warm: the first request's allocations are not the upload's
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets the peak (VmHWM) to now
    before = memory_kb(pid, "VmRSS")
    size = 100 * 1024 * 1024
    uploaded = client.files.create(file=("big.jsonl", b"x" * size), purpose="batch")
    assert uploaded.bytes == size
    growth_mb = (memory_kb(pid, "VmHWM") - before) / 1024
    print(f"ClawBox's peak memory grew by {growth_mb:.1f} MB for a 100 MB upload")
    assert growth_mb < 30, f"ClawBox grew by {growth_mb:.1f} MB: the upload was held, not streamed"
