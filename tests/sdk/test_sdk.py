"""The official SDKs against the built gateway: every behaviour an agent relies on."""

import anthropic
import openai
import pytest

from conftest import clawbox, sign_in_with_chatgpt

# The token counts the fake provider reports (crates/testkit/src/lib.rs, `usage`).
CHAT = (13, 21)
RESPONSES = (17, 19)
# Anthropic: input, cache read + cache write (counted apart from the input), output.
MESSAGES = (23, 5 + 3, 29)
REPLY = "Hello from the fake"
KEY = "sk-sdk-test-key-3b1d"


def oai(gateway, **kw):
    return openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=KEY, max_retries=0, **kw)


def claude(gateway, **kw):
    return anthropic.Anthropic(base_url=gateway.url, api_key=KEY, max_retries=0, **kw)


MESSAGES_ARGS = dict(
    model="claude-sonnet-4-6", max_tokens=64, messages=[{"role": "user", "content": "say hi"}]
)
CHAT_ARGS = dict(model="gpt-4o-mini", messages=[{"role": "user", "content": "say hi"}])


def test_openai_chat_completion(gateway):
    raw = oai(gateway).chat.completions.with_raw_response.create(**CHAT_ARGS)
    completion = raw.parse()
    assert completion.choices[0].message.content == REPLY
    row = gateway.row(raw.headers["x-request-id"])
    assert (row["status"], row["tokens_source"], row["tokens_est"]) == (200, "reported", sum(CHAT))
    assert row["model"] == "gpt-4o-mini"


def test_openai_stream_without_usage_option_sees_no_usage_chunk(gateway):
    raw = oai(gateway).chat.completions.with_raw_response.create(**CHAT_ARGS, stream=True)
    chunks = list(raw.parse())
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == REPLY
    assert all(c.choices for c in chunks), "the usage chunk ClawBox asked for is hidden"
    row = gateway.row(raw.headers["x-request-id"])
    assert (row["tokens_source"], row["tokens_est"], row["stream"]) == ("reported", sum(CHAT), 1)


def test_openai_stream_with_usage_option_gets_the_usage_chunk(gateway):
    stream = oai(gateway).chat.completions.create(
        **CHAT_ARGS, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert chunks[-1].choices == []
    assert chunks[-1].usage.total_tokens == sum(CHAT)


def test_openai_responses_json_and_stream(gateway):
    client = oai(gateway)
    response = client.responses.create(model="gpt-4o-mini", input="say hi")
    assert response.output_text == REPLY
    raw = client.responses.with_raw_response.create(model="gpt-4o-mini", input="hi", stream=True)
    events = list(raw.parse())
    completed = [e for e in events if e.type == "response.completed"]
    assert completed and completed[0].response.usage.total_tokens == sum(RESPONSES)
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == REPLY
    row = gateway.row(raw.headers["x-request-id"])
    assert (row["endpoint"], row["tokens_est"]) == ("/v1/responses", sum(RESPONSES))


def test_openai_embeddings_and_models(gateway):
    client = oai(gateway)
    embedding = client.embeddings.create(model="text-embedding-3-small", input="hi")
    assert embedding.data[0].embedding == [0.25, -0.5, 0.125]
    assert embedding.usage.total_tokens == 8
    assert "gpt-4o-mini" in [m.id for m in client.models.list()]


def test_anthropic_messages_json_and_stream(gateway):
    client = claude(gateway)
    raw = client.messages.with_raw_response.create(**MESSAGES_ARGS)
    message = raw.parse()
    assert message.content[0].text == REPLY
    input_tokens, cache, output = MESSAGES
    row = gateway.row(raw.headers["x-request-id"])
    assert (row["tokens_source"], row["tokens_est"]) == ("reported", input_tokens + cache + output)
    assert (row["prompt_tokens"], row["completion_tokens"]) == (input_tokens + cache, output)

    with client.messages.stream(**MESSAGES_ARGS) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == REPLY
    assert final.usage.output_tokens == output


def test_anthropic_model_list_in_anthropic_shape(gateway):
    assert [m.id for m in claude(gateway).models.list()] == ["claude-sonnet-4-6"]


def test_rate_limit_is_an_sdk_rate_limit_error_with_retry_after(start_gateway):
    gateway = start_gateway(CLAWBOX_RATE_LIMIT="2")
    client = oai(gateway, default_headers={"X-User-ID": "jane-doe"})
    client.models.list()
    client.models.list()
    with pytest.raises(openai.RateLimitError) as err:
        client.models.list()
    assert 1 <= int(err.value.response.headers["retry-after"]) <= 60
    assert "rate limit" in err.value.message
    assert err.value.code == "rate_limit_exceeded"

    anth = claude(gateway, default_headers={"X-User-ID": "joe-bloggs"})
    anth.messages.create(**MESSAGES_ARGS)
    anth.messages.create(**MESSAGES_ARGS)
    with pytest.raises(anthropic.RateLimitError) as err:
        anth.messages.create(**MESSAGES_ARGS)
    assert err.value.body["error"]["type"] == "rate_limit_error"


def test_monthly_cap_is_402(start_gateway):
    gateway = start_gateway(CLAWBOX_MONTHLY_CAP="1")
    client = oai(gateway)
    client.models.list()
    with pytest.raises(openai.APIStatusError) as err:
        client.models.list()
    assert err.value.status_code == 402
    assert "monthly cap" in err.value.message


def test_upstream_errors_reach_the_sdk_as_the_provider_sent_them(gateway):
    client = oai(gateway, default_headers={"x-fake-fail-status": "500"})
    with pytest.raises(openai.InternalServerError) as err:
        client.chat.completions.create(**CHAT_ARGS)
    assert "fake upstream failure (500)" in err.value.message


def test_gateway_errors_are_actionable_in_the_sdk(gateway):
    client = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key="cbx_local", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as err:
        client.chat.completions.create(**CHAT_ARGS)
    assert "local key" in err.value.message
    with pytest.raises(anthropic.AuthenticationError) as err:
        anthropic.Anthropic(base_url=gateway.url, api_key="cbx_local", max_retries=0).messages.create(
            **MESSAGES_ARGS
        )
    assert err.value.body["error"]["type"] == "authentication_error"


def test_hosted_mode_relays_for_the_user(start_gateway, hosted):
    gateway = start_gateway(CLAWBOX_MODE="hosted", CLAWBOX_HOSTED_URL=hosted)
    # Phase 2: no provider key in the agent; the hosted gateway resolves the user by X-User-ID.
    client = openai.OpenAI(
        base_url=f"{gateway.url}/v1",
        api_key="unused",
        max_retries=0,
        default_headers={"X-User-ID": "sam-rivera"},
    )
    raw = client.chat.completions.with_raw_response.create(**CHAT_ARGS)
    assert raw.parse().choices[0].message.content == REPLY
    row = gateway.row(raw.headers["x-request-id"])
    assert (row["mode"], row["upstream"], row["user_id"]) == ("hosted", "hosted", "sam-rivera")


def test_no_key_prompt_or_completion_reaches_logs_or_disk(gateway):
    prompt = "canary-prompt-9e41 my private plans"
    client = oai(gateway)
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}])
    list(
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}], stream=True
        )
    )
    logs = gateway.stop()
    assert "request" in logs, "debug logging was on"
    files = [p for p in gateway.data_dir.iterdir() if p.is_file()]
    assert any(p.name == "clawbox.db" for p in files)
    for needle in (KEY, "canary-prompt", REPLY):
        assert needle not in logs
        for path in files:
            assert needle.encode() not in path.read_bytes(), f"{needle} in {path.name}"


def test_agents_with_the_local_key_use_the_keys_saved_in_the_keychain(gateway, tmp_path):
    # Phase 2's promise: no provider secret in the agent's configuration.
    clawbox("key", "set", "openai", input="sk-saved-in-keychain\n")
    clawbox("key", "set", "anthropic", input="sk-ant-saved-in-keychain\n")
    local_key = clawbox("key", "show-local").strip()
    assert local_key.startswith("cbx_")
    chat = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=local_key, max_retries=0)
    assert chat.chat.completions.create(**CHAT_ARGS).choices[0].message.content == REPLY
    claude_client = anthropic.Anthropic(base_url=gateway.url, api_key=local_key, max_retries=0)
    assert claude_client.messages.create(**MESSAGES_ARGS).content[0].text == REPLY
    with pytest.raises(openai.AuthenticationError) as err:
        openai.OpenAI(
            base_url=f"{gateway.url}/v1", api_key="cbx_" + "0" * 64, max_retries=0
        ).models.list()
    assert "not the current one" in err.value.message
    status = clawbox("status")
    assert "saved API keys:  openai, anthropic" in status
    assert local_key not in status and "sk-saved" not in status
    clawbox("key", "remove", "openai")
    clawbox("key", "remove", "anthropic")


def test_a_chatgpt_sign_in_serves_chat_and_responses_clients(start_gateway, oauth, tmp_path):
    # Phase 2 end to end: sign in once; the agent holds only ClawBox's local key.
    where = {
        "CLAWBOX_DATA_DIR": str(tmp_path / "chatgpt"),
        "CLAWBOX_CODEX_ISSUER": oauth,
        "CLAWBOX_CODEX_BACKEND_URL": oauth,
    }
    out = sign_in_with_chatgpt(where)
    assert "Signed in as sam@example.com (plus plan)" in out
    gateway = start_gateway(**where)
    local_key = clawbox("key", "show-local", env=where).strip()
    client = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=local_key, max_retries=0)

    raw = client.chat.completions.with_raw_response.create(**CHAT_ARGS)
    assert raw.headers["x-clawbox-upstream"] == "codex"
    assert raw.parse().choices[0].message.content == REPLY
    stream = client.chat.completions.create(
        **CHAT_ARGS, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == REPLY
    assert chunks[-1].usage.total_tokens == sum(RESPONSES)

    response = client.responses.create(model="gpt-5", input="say hi")
    assert response.output_text == REPLY
    events = list(client.responses.create(model="gpt-5", input="say hi", stream=True))
    assert events[-1].type == "response.completed"
    # The SDK's stream helper refuses event types it does not know: the plan's
    # `codex.rate_limits` event is ClawBox's to read, never this client's.
    assert all(not e.type.startswith("codex.") for e in events)
    with client.responses.stream(model="gpt-5", input="say hi") as stream:
        text = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
        assert stream.get_final_response().status == "completed"
    assert text == REPLY

    row = gateway.row(raw.headers["x-request-id"])
    assert (row["upstream"], row["tokens_source"], row["tokens_est"]) == ("codex", "reported", sum(RESPONSES))
    # What the plan covered, at API prices: gpt-4o-mini at $0.15 in, $0.075 cached, $0.60 out
    # per 1M for the backend's 17 input tokens (11 cached) and 19 output:
    # 6 × 0.15 + 11 × 0.075 + 19 × 0.6 = 13.125 per 1M.
    assert row["billing"] == "plan" and abs(row["cost_usd"] - 13.125e-6) < 1e-12, row
    status = clawbox("status", env=where)
    assert "ChatGPT:         sam@example.com (plus plan" in status
    assert "ChatGPT plan:    5-hour: 78% left, resets in 2 h " in status, status
    clawbox("logout", "codex", env=where)
    # No token in any log line, row or file: refresh tokens start rt_, JWTs eyJ.
    logs = gateway.stop()
    for text in (logs, out, status):
        assert "rt_" not in text and "eyJ" not in text
    for path in (tmp_path / "chatgpt").iterdir():
        data = path.read_bytes()
        assert b"rt_" not in data and b"eyJ" not in data, path.name
