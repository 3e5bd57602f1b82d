"""The OpenAI Agents SDK (openai-agents, from PyPI) through ClawBox on the ChatGPT plan: a
two-tool agent over several turns with server-managed history (`previous_response_id`, within a
run and between runs). The ChatGPT backend keeps nothing; ClawBox keeps the conversation."""

import json
import urllib.request

from agents import Agent, OpenAIResponsesModel, Runner, function_tool, set_tracing_disabled
from openai import AsyncOpenAI

from conftest import clawbox, sign_in_with_chatgpt

CALLED = []


@function_tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    CALLED.append(("get_weather", city))
    return json.dumps({"city": city, "temp_c": 31})


@function_tool
def get_time(city: str) -> str:
    """The local time in a city."""
    CALLED.append(("get_time", city))
    return json.dumps({"city": city, "time": "14:05"})


def backend_requests(oauth):
    with urllib.request.urlopen(f"{oauth}/test/backend-requests", timeout=10) as answer:
        return json.load(answer)


def test_a_two_tool_agent_keeps_its_history_on_the_server(start_gateway, oauth, tmp_path):
    where = {
        "CLAWBOX_DATA_DIR": str(tmp_path / "agents"),
        "CLAWBOX_CODEX_ISSUER": oauth,
        "CLAWBOX_CODEX_BACKEND_URL": oauth,
    }
    sign_in_with_chatgpt(where)
    gateway = start_gateway(**where)
    set_tracing_disabled(True)
    client = AsyncOpenAI(
        base_url=f"{gateway.url}/v1", api_key=clawbox("key", "show-local", env=where).strip(), max_retries=0
    )
    agent = Agent(
        name="Helper",
        instructions="Answer with the tools.",
        tools=[get_weather, get_time],
        model=OpenAIResponsesModel(model="gpt-5", openai_client=client),
    )
    try:
        before = len(backend_requests(oauth))
        first = Runner.run_sync(agent, "What is the weather in Austin?", auto_previous_response_id=True)
        assert first.final_output
        second = Runner.run_sync(
            agent, "And what time is it there?", previous_response_id=first.last_response_id
        )
        assert second.final_output
        # The same conversation, continued by the agent without its tools (the fake model calls
        # a tool whenever one is offered).
        third = Runner.run_sync(
            agent.clone(tools=[]), "Thanks, bye!", previous_response_id=second.last_response_id
        )
        assert third.final_output
        assert CALLED == [("get_weather", "Austin"), ("get_time", "Austin")]

        sent = backend_requests(oauth)[before:]
        assert len(sent) == 5  # a tool call and its answer per question, then the goodbye
        assert all("previous_response_id" not in body for body in sent)
        # The last request carries the whole history, replayed by ClawBox.
        kinds = [item.get("type", "message") for item in sent[-1]["input"]]
        assert kinds.count("function_call") == 2 and kinds.count("function_call_output") == 2, kinds
        users = [i for i in sent[-1]["input"] if i.get("role") == "user"]
        assert len(users) == 3, users
    finally:
        gateway.stop()
        clawbox("logout", "codex", env=where)
