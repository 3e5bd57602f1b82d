"""The Agent screen in the real window: from "Agent ready", "Try it now" starts Codex (the real
codex-acp from npm) in a project folder on the person's ChatGPT plan; it asks to add a line to a
file, the person allows it, the file changes on disk, and the turn's model calls are on the
Requests screen under the session. Nobody types a key, a URL or a command."""

import json
import os
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import ROOT, SCREENSHOTS  # noqa: E402
from test_screens import click, find, gateway_url, rows, wait_for, wait_for_text


def install_agents(data_dir: Path):
    """The agents as ClawBox installs them (`<data dir>/agents/node_modules`), from the copy
    `make test` installed once (tests/agents)."""
    agents = data_dir / "agents"
    agents.mkdir(parents=True, exist_ok=True)
    modules = ROOT / "tests" / "agents" / "node_modules"
    assert modules.is_dir(), "the ACP agents are not installed: run scripts/setup.sh --with-sdk"
    os.symlink(modules, agents / "node_modules")


def test_try_it_now_runs_an_agent_that_changes_a_file_once_allowed(app, tmp_path):
    install_agents(app.data_dir)
    project = tmp_path / "my-project"
    project.mkdir()
    (project / "notes.txt").write_text("first line\n")

    gateway_url(app)
    wait_for(app, "#wizard")
    click(app, "#wizard-mode-local")
    user = find(app, "#wizard-user-id")
    user.clear()
    user.send_keys("trainee-9")
    click(app, "#wizard-next")
    click(app, "#wizard-chatgpt")
    wait_for_text(app, "#wizard-credentials", "Signed in with ChatGPT", timeout=30)
    click(app, "#wizard-next")
    click(app, "#wizard-check")
    wait_for_text(app, "#wizard-result", "Agent ready", timeout=30)
    click(app, "#wizard-next")

    # The last step offers the agent's .env, or to try an agent right here.
    click(app, "#try-agent")
    wait_for(app, "#agent-pick")
    Select(find(app, "#agent-pick")).select_by_value("codex")
    folder = find(app, "#agent-folder")
    folder.clear()
    folder.send_keys(str(project))
    app.save_screenshot(str(SCREENSHOTS / "agent-start.png"))
    click(app, "#agent-start")
    wait_for_text(app, "#agent-runs", "runs commands itself", timeout=60)

    directive = json.dumps({"append": "notes.txt", "after": "first line", "line": "added by the agent"})
    prompt = find(app, "#agent-prompt")
    prompt.send_keys(f"Add a line to notes.txt. clawbox-script {directive}")
    prompt.send_keys(Keys.ENTER)
    # The permission card: nothing is changed before the person answers.
    card = wait_for(app, ".permission-card", timeout=60)
    assert "notes.txt" in card.text
    assert "+added by the agent" in card.text
    assert (project / "notes.txt").read_text() == "first line\n"
    app.save_screenshot(str(SCREENSHOTS / "agent-permission.png"))
    click(app, '.permission-card button[data-answer="allow_once"]')

    # The answer streams in, the file is changed, and the turn's use is linked to its requests.
    wait_for_text(app, "#agent-conversation", "Hello from the fake", timeout=60)
    wait_for_text(app, "#agent-turn-usage", "model call", timeout=30)
    assert (project / "notes.txt").read_text() == "first line\nadded by the agent\n"
    app.save_screenshot(str(SCREENSHOTS / "agent.png"))

    logged = rows(app.data_dir, "SELECT user_id, client, agent_session, status FROM requests WHERE client IS NOT NULL")
    assert len(logged) >= 2, logged
    assert {(user, client) for user, client, _, _ in logged} == {("trainee-9", "codex-acp")}
    sessions = {session for _, _, session, _ in logged}
    assert len(sessions) == 1
    click(app, "#agent-see-requests")
    WebDriverWait(app, 15).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#requests-table tbody tr")) == len(logged)
    )
    app.save_screenshot(str(SCREENSHOTS / "agent-requests.png"))
