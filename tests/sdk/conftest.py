"""Fixtures: the built clawbox-gateway binary in front of the testkit's fake provider, driven by
the official OpenAI and Anthropic SDKs exactly as an agent would use them."""

import os
import signal
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN_DIR = Path(os.environ.get("CLAWBOX_BIN_DIR", ROOT / "target" / "debug"))
CODEX_CLI = ROOT / "tests" / "clients" / "node_modules" / ".bin" / "codex"


def _start(args, env=None, prefix=""):
    proc = subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    line = proc.stdout.readline().strip()
    if not line.startswith(prefix):
        proc.kill()
        raise RuntimeError(f"{args[0]} did not start: {line!r} {proc.stderr.read()}")
    return proc, line[len(prefix):]


def _stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return err


@pytest.fixture(scope="session")
def provider():
    proc, url = _start([str(BIN_DIR / "clawbox-fake-upstream")], prefix="listening on ")
    yield url
    _stop(proc)


@pytest.fixture(scope="session")
def oauth():
    """The fake OpenAI sign-in server and ChatGPT Codex backend."""
    proc, url = _start([str(BIN_DIR / "clawbox-fake-upstream"), "--oauth"], prefix="listening on ")
    yield url
    _stop(proc)


@pytest.fixture(scope="session")
def hosted():
    proc, url = _start([str(BIN_DIR / "clawbox-fake-upstream"), "--hosted"], prefix="listening on ")
    yield url
    _stop(proc)


class Gateway:
    def __init__(self, url, data_dir, proc):
        self.url = url
        self.data_dir = data_dir
        self.proc = proc
        self.stderr = ""

    def row(self, request_id):
        """The log row for a response's x-request-id (rows land a moment after the response)."""
        for _ in range(100):
            with sqlite3.connect(f"file:{self.data_dir / 'clawbox.db'}?mode=ro", uri=True) as db:
                db.row_factory = sqlite3.Row
                row = db.execute("SELECT * FROM requests WHERE id = ?", (request_id,)).fetchone()
            if row is not None:
                return dict(row)
            time.sleep(0.02)
        raise AssertionError(f"no log row for {request_id}")

    def stop(self):
        if self.proc.poll() is None:
            self.stderr = _stop(self.proc)
        return self.stderr


@pytest.fixture
def start_gateway(tmp_path, provider):
    started = []

    def start(**env):
        data_dir = Path(env.get("CLAWBOX_DATA_DIR", tmp_path / f"data{len(started)}"))
        settings = {
            "CLAWBOX_DATA_DIR": str(data_dir),
            "CLAWBOX_LISTEN": "127.0.0.1:0",
            "CLAWBOX_OPENAI_URL": provider,
            "CLAWBOX_ANTHROPIC_URL": provider,
            "CLAWBOX_LOG": "debug",
            **env,
        }
        proc, url = _start(
            [str(BIN_DIR / "clawbox-gateway"), "serve"],
            env=settings,
            prefix="ClawBox gateway listening on ",
        )
        gateway = Gateway(url, data_dir, proc)
        started.append(gateway)
        return gateway

    yield start
    for gateway in started:
        gateway.stop()


@pytest.fixture
def gateway(start_gateway):
    return start_gateway()


def clawbox(*args, input="", env=None):
    """Runs a clawbox-gateway subcommand (keys live in the keychain `make test` provides)."""
    return subprocess.run(
        [str(BIN_DIR / "clawbox-gateway"), *args],
        input=input,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    ).stdout


def sign_in_with_chatgpt(env):
    """`clawbox-gateway login codex --no-browser`, with this test as the browser."""
    login = subprocess.Popen(
        [str(BIN_DIR / "clawbox-gateway"), "login", "codex", "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )
    url = ""
    while not url.startswith("http"):
        line = login.stdout.readline()
        assert line, login.stderr.read()
        url = line.strip()
    with urllib.request.urlopen(url, timeout=10) as page:
        assert page.url.endswith("/success"), page.url
    out, err = login.communicate(timeout=15)
    assert login.returncode == 0, err
    return out
