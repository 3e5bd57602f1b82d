"""Named providers with the official OpenAI SDK: a provider added from the command line (its key
in the keychain) serves its models through ClawBox, lists them in `models.list()`, takes models
no route claims as the default upstream, and `none` gives the plain "no route" answer again."""

import time

import openai
import pytest

from conftest import BIN_DIR, _start, _stop, clawbox


@pytest.fixture
def deepseek():
    """An OpenAI-compatible provider on a port of its own, its API under /compat/v1."""
    proc, url = _start(
        [str(BIN_DIR / "clawbox-fake-upstream"), "--base-path", "/compat/v1", "--models", "deepseek-chat,deepseek-reasoner"],
        prefix="listening on ",
    )
    yield f"{url}/compat/v1"
    _stop(proc)


def test_a_named_provider_serves_its_models_to_the_openai_sdk(start_gateway, deepseek, tmp_path):
    data = tmp_path / "data"
    env = {"CLAWBOX_DATA_DIR": str(data)}
    clawbox("provider", "add", "deepseek", "--base-url", deepseek, "--models", "", env=env)
    clawbox("key", "set", "deepseek", input="sk-deepseek-in-keychain\n", env=env)
    gateway = start_gateway(CLAWBOX_DATA_DIR=str(data))
    local_key = clawbox("key", "show-local").strip()
    client = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=local_key, max_retries=0)
    try:
        # Its list, fetched in the background, appears in the merged model list.
        owners = {}
        for _ in range(100):
            owners = {m.id: m.owned_by for m in client.models.list()}
            if "deepseek-chat" in owners:
                break
            time.sleep(0.05)
        assert owners.get("deepseek-chat") == "deepseek", owners
        assert owners.get("deepseek-reasoner") == "deepseek", owners

        # By its list: plain and streamed, metered from the provider's usage.
        raw = client.chat.completions.with_raw_response.create(
            model="deepseek-chat", messages=[{"role": "user", "content": "hi"}]
        )
        assert raw.headers["x-clawbox-upstream"] == "deepseek"
        assert raw.parse().model == "deepseek-chat"
        row = gateway.row(raw.headers["x-request-id"])
        assert row["upstream"] == "deepseek" and row["tokens_source"] == "reported"
        chunks = list(
            client.chat.completions.create(
                model="deepseek-reasoner", messages=[{"role": "user", "content": "hi"}], stream=True
            )
        )
        assert chunks and all(c.usage is None for c in chunks)

        # A model nothing claims: the plain 404 until the default upstream takes it.
        with pytest.raises(openai.NotFoundError) as err:
            client.chat.completions.create(model="kimi-k2", messages=[{"role": "user", "content": "hi"}])
        assert "no route for the model `kimi-k2`" in err.value.message
        assert "default_upstream" in err.value.message
        clawbox("provider", "default", "deepseek", env=env)
        for _ in range(100):
            try:
                raw = client.chat.completions.with_raw_response.create(
                    model="kimi-k2", messages=[{"role": "user", "content": "hi"}]
                )
                break
            except openai.NotFoundError:
                time.sleep(0.05)  # settings.json is re-read when it changes
        assert raw.headers["x-clawbox-upstream"] == "deepseek"
    finally:
        clawbox("provider", "remove", "deepseek", env=env)
