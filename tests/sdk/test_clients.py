"""Real clients configured only by ClawBox's own configurators (`clawbox-gateway connect …`):
the OpenAI Node and Python SDKs from the agent's .env, the Anthropic Python SDK and Claude Code
from Claude Code's settings.json, OpenAI's Codex CLI from its config.toml — each getting answers
through ClawBox from the fake providers, streamed and not, and each request logged with the
provider's own token counts."""

import json
import os
import socket
import sqlite3
import subprocess
from pathlib import Path

import pytest

from conftest import CODEX_CLI, clawbox, sign_in_with_chatgpt

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = ROOT / "tests" / "clients"
CLAUDE_CLI = CLIENTS / "node_modules" / ".bin" / "claude"
REPLY = "Hello from the fake"
# The token counts the fake provider reports (crates/testkit/src/lib.rs, `usage`).
CHAT, RESPONSES, MESSAGES = 13 + 21, 17 + 19, 23 + 5 + 3 + 29


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dotenv(path):
    pairs = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            pairs[key.strip().removeprefix("export ").strip()] = value.strip().strip('"')
    return pairs


def rows(data_dir):
    with sqlite3.connect(f"file:{data_dir / 'clawbox.db'}?mode=ro", uri=True) as db:
        return db.execute(
            "SELECT endpoint, status, upstream, tokens_source, tokens_est FROM requests ORDER BY id"
        ).fetchall()


def wait_for_rows(data_dir, count):
    import time

    for _ in range(100):
        found = rows(data_dir)
        if len(found) >= count:
            return found
        time.sleep(0.05)
    return rows(data_dir)


def place(tmp_path, **extra):
    """Where this test's ClawBox lives, on a known port (the configurators write it into the
    clients' files)."""
    (tmp_path / "home").mkdir()
    return {
        "CLAWBOX_DATA_DIR": str(tmp_path / "data"),
        "CLAWBOX_LISTEN": f"127.0.0.1:{free_port()}",
        "HOME": str(tmp_path / "home"),
        **extra,
    }


@pytest.fixture
def saved_keys():
    """Saves provider keys for a test and removes them after it: the keychain is shared by every
    test in the run, and a key left behind would serve the next test's requests."""
    saved = []

    def save(provider, key, where):
        clawbox("key", "set", provider, input=key + "\n", env=where)
        saved.append((provider, where))

    yield save
    for provider, where in saved:
        clawbox("key", "remove", provider, env=where)


def test_the_openai_node_sdk_configured_by_connect_env(start_gateway, saved_keys, tmp_path):
    where = place(tmp_path)
    gateway = start_gateway(**where)
    saved_keys("openai", "sk-node-saved-0123456789", where)
    project = tmp_path / "agent"
    project.mkdir()
    clawbox("connect", "env", str(project), env=where)
    env = dotenv(project / ".env")
    assert env["OPENAI_API_KEY"].startswith("cbx_")
    run = subprocess.run(
        ["node", str(CLIENTS / "openai-node.mjs")],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ["PATH"], "HOME": where["HOME"],
             "OPENAI_BASE_URL": env["OPENAI_BASE_URL"], "OPENAI_API_KEY": env["OPENAI_API_KEY"]},
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out == {"chat": REPLY, "chatTokens": CHAT, "streamed": REPLY, "usage": CHAT,
                   "responses": REPLY}
    logged = wait_for_rows(gateway.data_dir, 3)
    assert [(r[0], r[1], r[2], r[3]) for r in logged] == [
        ("/v1/chat/completions", 200, "openai", "reported"),
        ("/v1/chat/completions", 200, "openai", "reported"),
        ("/v1/responses", 200, "openai", "reported"),
    ]


def test_codex_cli_configured_by_connect_codex(start_gateway, oauth, tmp_path):
    # OpenAI's own Codex CLI with the ChatGPT sign-in: its config.toml, written by ClawBox, is
    # its only configuration (the local key inside the provider entry; nothing to export).
    where = place(tmp_path, CLAWBOX_CODEX_ISSUER=oauth, CLAWBOX_CODEX_BACKEND_URL=oauth)
    sign_in_with_chatgpt(where)
    gateway = start_gateway(**where)
    codex_home = tmp_path / "codex-home"
    codex_home.mkdir()
    clawbox("connect", "codex", env={**where, "CODEX_HOME": str(codex_home)})
    assert 'model_provider = "clawbox"' in (codex_home / "config.toml").read_text()
    run = subprocess.run(
        [str(CODEX_CLI), "exec", "--skip-git-repo-check", "-m", "gpt-5", "say hi"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "HOME": where["HOME"], "CODEX_HOME": str(codex_home)},
    )
    assert run.returncode == 0, run.stderr
    assert REPLY in run.stdout
    logged = wait_for_rows(gateway.data_dir, 1)
    assert ("/v1/responses", 200, "codex", "reported") in [r[:4] for r in logged]
    clawbox("logout", "codex", env=where)


def test_claude_code_configured_by_connect_claude(start_gateway, saved_keys, tmp_path):
    # Anthropic's Claude Code, `claude -p`: ~/.claude/settings.json, written by ClawBox, is its
    # only configuration (no login, no key of its own).
    where = place(tmp_path)
    gateway = start_gateway(**where)
    saved_keys("anthropic", "sk-ant-claude-code-0123456789", where)
    clawbox("connect", "claude", env=where)
    settings = json.loads((Path(where["HOME"]) / ".claude" / "settings.json").read_text())
    assert settings["env"]["ANTHROPIC_AUTH_TOKEN"].startswith("cbx_")
    run = subprocess.run(
        [str(CLAUDE_CLI), "-p", "say hi"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        # No internet here: keep Claude Code from trying its own telemetry and update checks.
        env={"PATH": os.environ["PATH"], "HOME": where["HOME"],
             "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert REPLY in run.stdout
    logged = wait_for_rows(gateway.data_dir, 1)
    assert ("/v1/messages", 200, "anthropic", "reported") in [r[:4] for r in logged], logged


def test_the_python_sdks_configured_by_connect_env_and_connect_claude(
    start_gateway, saved_keys, tmp_path
):
    # The official Python SDKs read their settings from the environment: OpenAI's from the .env
    # ClawBox wrote, Anthropic's from the env block it wrote for Claude Code.
    import anthropic
    import openai

    where = place(tmp_path)
    gateway = start_gateway(**where)
    saved_keys("openai", "sk-py-saved-0123456789", where)
    saved_keys("anthropic", "sk-ant-py-saved-0123456789", where)
    project = tmp_path / "agent"
    project.mkdir()
    clawbox("connect", "env", str(project), env=where)
    clawbox("connect", "claude", env=where)
    dot = dotenv(project / ".env")
    claude_env = json.loads((Path(where["HOME"]) / ".claude" / "settings.json").read_text())["env"]

    saved = {k: os.environ.get(k) for k in ("OPENAI_BASE_URL", "OPENAI_API_KEY",
                                            "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN")}
    try:
        os.environ.update({k: dot[k] for k in ("OPENAI_BASE_URL", "OPENAI_API_KEY")})
        os.environ.update({k: claude_env[k] for k in ("ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN")})
        chat = openai.OpenAI(max_retries=0)
        args = dict(model="gpt-4o-mini", messages=[{"role": "user", "content": "say hi"}])
        assert chat.chat.completions.create(**args).choices[0].message.content == REPLY
        streamed = chat.chat.completions.create(**args, stream=True, stream_options={"include_usage": True})
        chunks = list(streamed)
        assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == REPLY
        assert chunks[-1].usage.total_tokens == CHAT
        claude = anthropic.Anthropic(api_key=None, max_retries=0)
        margs = dict(model="claude-sonnet-4-6", max_tokens=64,
                     messages=[{"role": "user", "content": "say hi"}])
        assert claude.messages.create(**margs).content[0].text == REPLY
        with claude.messages.stream(**margs) as stream:
            assert stream.get_final_text() == REPLY
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    logged = wait_for_rows(gateway.data_dir, 4)
    assert [r[2] for r in logged] == ["openai", "openai", "anthropic", "anthropic"]
    assert all(r[3] == "reported" for r in logged)
