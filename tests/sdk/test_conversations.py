"""Conversations on the ChatGPT route with the official OpenAI SDK: three turns chained with
`previous_response_id` (a tool call and its output in the middle, the reasoning replayed), then
`responses.retrieve`, `input_items.list` and `delete`, and `store=False` keeping nothing. The
ChatGPT backend keeps nothing itself: ClawBox replays the chain to it."""

import json
import time
import urllib.request

import openai
import pytest

from conftest import BIN_DIR, _start, _stop, clawbox, sign_in_with_chatgpt

WEATHER = [{
    "type": "function", "name": "get_weather", "description": "The weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}]


def backend_requests(oauth):
    with urllib.request.urlopen(f"{oauth}/test/backend-requests", timeout=10) as answer:
        return json.load(answer)


def retrieve(client, response_id):
    """The kept response, at once: ClawBox keeps it off the request path, but a read waits for
    what was queued before it."""
    return client.responses.retrieve(response_id)


def test_a_chain_of_three_turns_on_the_chatgpt_plan(start_gateway, oauth, tmp_path):
    where = {
        "CLAWBOX_DATA_DIR": str(tmp_path / "chatgpt"),
        "CLAWBOX_CODEX_ISSUER": oauth,
        "CLAWBOX_CODEX_BACKEND_URL": oauth,
    }
    sign_in_with_chatgpt(where)
    gateway = start_gateway(**where)
    client = openai.OpenAI(
        base_url=f"{gateway.url}/v1", api_key=clawbox("key", "show-local", env=where).strip(), max_retries=0
    )
    try:
        first = client.responses.create(model="gpt-5", input="Weather in Austin?", tools=WEATHER)
        call = next(item for item in first.output if item.type == "function_call")
        assert first.id.startswith("resp_") and first.id != "resp_fake"
        retrieve(client, first.id)

        second = client.responses.create(
            model="gpt-5",
            previous_response_id=first.id,
            tools=WEATHER,
            input=[{"type": "function_call_output", "call_id": call.call_id, "output": '{"temp_c": 31}'}],
        )
        assert second.previous_response_id == first.id
        assert second.output_text
        retrieve(client, second.id)

        with client.responses.stream(model="gpt-5", previous_response_id=second.id, input="Thanks!") as stream:
            third = stream.get_final_response()
        assert third.status == "completed" and third.id.startswith("resp_")

        sent = backend_requests(oauth)
        assert all("previous_response_id" not in body and body["store"] is False for body in sent)
        history = [item.get("type", "message") for item in sent[-1]["input"]]
        assert history == [
            "message", "reasoning", "function_call", "function_call_output", "reasoning", "message", "message"
        ], history
        assert sent[-1]["input"][1]["encrypted_content"] == "enc:turn-1"

        kept = retrieve(client, third.id)
        assert kept.id == third.id and kept.output_text == third.output_text
        items = client.responses.input_items.list(third.id)
        assert [i.content[0].text for i in items.data] == ["Thanks!"]
        client.responses.delete(third.id)
        with pytest.raises(openai.NotFoundError):
            client.responses.retrieve(third.id)

        # Not kept, streamed: the stream helper's final response still has its output.
        with client.responses.stream(model="gpt-5", input="not to keep", store=False) as stream:
            assert stream.get_final_response().output_text
        unkept = client.responses.create(model="gpt-5", input="not to keep", store=False)
        time.sleep(0.2)
        with pytest.raises(openai.NotFoundError):
            client.responses.retrieve(unkept.id)
        with pytest.raises(openai.NotFoundError) as err:
            client.responses.create(model="gpt-5", input="hi", previous_response_id=unkept.id)
        assert unkept.id in err.value.message

        # The Conversations API.
        conversation = client.conversations.create(
            metadata={"topic": "names"}, items=[{"type": "message", "role": "user", "content": "My name is Ada."}]
        )
        assert conversation.id.startswith("conv_")
        client.responses.create(model="gpt-5", conversation=conversation.id, input="What is my name?")
        assert "My name is Ada." in json.dumps(backend_requests(oauth)[-1]["input"])
        items = client.conversations.items.list(conversation.id, order="asc")
        assert [i.type for i in items.data] == ["message", "message", "reasoning", "message"]
        updated = client.conversations.update(conversation.id, metadata={"topic": "who"})
        assert updated.metadata == {"topic": "who"}
        assert client.conversations.retrieve(conversation.id).metadata == {"topic": "who"}
        assert client.conversations.delete(conversation.id).deleted
        with pytest.raises(openai.NotFoundError):
            client.conversations.retrieve(conversation.id)
    finally:
        gateway.stop()
        clawbox("logout", "codex", env=where)


@pytest.fixture
def local_models():
    """A local model server (Ollama-like: no key, chat completions) that has llama3.2."""
    proc, url = _start(
        [str(BIN_DIR / "clawbox-fake-upstream"), "--hosted", "--local-models", "llama3.2"], prefix="listening on "
    )
    yield url
    _stop(proc)


def test_a_chain_of_three_turns_on_a_local_model(start_gateway, local_models):
    gateway = start_gateway(CLAWBOX_OLLAMA_URL=local_models)
    client = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key="ollama", max_retries=0)
    first = client.responses.create(model="llama3.2", input="My name is Ada.")
    assert first.id.startswith("resp_") and first.output_text
    retrieve(client, first.id)
    with client.responses.stream(model="llama3.2", previous_response_id=first.id, input="What is my name?") as stream:
        text = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
        second = stream.get_final_response()
    assert text and second.output_text == text
    assert second.previous_response_id == first.id
    retrieve(client, second.id)
    third = client.responses.create(model="llama3.2", previous_response_id=second.id, input="Thanks!")
    assert third.output_text
    kept = retrieve(client, third.id)
    assert kept.previous_response_id == second.id
    assert [i.content[0].text for i in client.responses.input_items.list(third.id).data] == ["Thanks!"]
    client.responses.delete(third.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model="llama3.2", previous_response_id=third.id, input="again")
