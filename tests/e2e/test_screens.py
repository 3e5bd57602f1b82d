"""Each screen in the real window: the onboarding wizard to "Agent ready" against a fake provider,
the dashboard and request log showing requests just sent, the mode switch moving the next request
to the hosted gateway, and the accounts and settings screens. Screenshots of each screen are saved
in target/e2e-screenshots/ for a person to look at."""

import json
import sqlite3
import time
from pathlib import Path

import openai
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import SCREENSHOTS  # noqa: E402

KEY = "sk-e2e-wizard-0123456789"


def find(driver, css):
    return driver.find_element(By.CSS_SELECTOR, css)


def wait_for(driver, css, timeout=15):
    return WebDriverWait(driver, timeout).until(lambda d: d.find_elements(By.CSS_SELECTOR, css))[0]


def wait_for_text(driver, css, needle, timeout=15):
    WebDriverWait(driver, timeout).until(
        lambda d: any(needle in e.text for e in d.find_elements(By.CSS_SELECTOR, css))
    )
    return find(driver, css).text


def click(driver, css):
    wait_for(driver, css)
    WebDriverWait(driver, 10).until(lambda d: find(d, css).is_enabled())
    find(driver, css).click()


def gateway_url(driver):
    status = wait_for_text(driver, "#status", "Gateway running on http://127.0.0.1:")
    return status.split("running on ")[1].split(" ")[0]


def rows(data_dir, sql):
    with sqlite3.connect(data_dir / "clawbox.db") as db:
        return db.execute(sql).fetchall()


def test_the_wizard_reaches_agent_ready_and_connects_the_agent(app, tmp_path):
    url = gateway_url(app)
    # First run: the wizard opens by itself.
    wait_for(app, "#wizard")
    click(app, "#wizard-mode-local")
    user = find(app, "#wizard-user-id")
    user.clear()
    user.send_keys("trainee-7")
    app.save_screenshot(str(SCREENSHOTS / "wizard-mode.png"))
    click(app, "#wizard-next")

    wait_for(app, "#wizard-api-key")
    Select(find(app, "#wizard-provider")).select_by_value("openai")
    find(app, "#wizard-api-key").send_keys(KEY)
    click(app, "#wizard-save-key")
    wait_for_text(app, "#wizard", "Saved in the keychain")
    assert find(app, "#wizard-api-key").get_attribute("value") == "", "the key is not kept in the page"
    app.save_screenshot(str(SCREENSHOTS / "wizard-credentials.png"))
    click(app, "#wizard-next")

    click(app, "#wizard-check")
    wait_for_text(app, "#wizard-result", "Agent ready", timeout=30)
    app.save_screenshot(str(SCREENSHOTS / "wizard-ready.png"))
    # The check sent a real request, through the gateway, with the saved key, for the user.
    sent = rows(app.data_dir, "SELECT user_id, status, upstream FROM requests")
    assert sent == [("trainee-7", 200, "openai")]
    click(app, "#wizard-next")

    project = tmp_path / "agent"
    project.mkdir()
    (project / ".env").write_text("# my agent\nMODEL=gpt-4o-mini\n")
    find(app, "#wizard-env-path").send_keys(str(project))
    click(app, "#wizard-preview")
    wait_for_text(app, "#wizard-diff", "OPENCLAW_GATEWAY_URL")
    assert KEY not in find(app, "#wizard-diff").text
    click(app, "#wizard-connect")
    wait_for(app, "#wizard-env-result")
    app.save_screenshot(str(SCREENSHOTS / "wizard-connect.png"))
    env = (project / ".env").read_text()
    port = url.rsplit(":", 1)[1]
    assert env.startswith("# my agent\nMODEL=gpt-4o-mini\n")
    assert f"OPENCLAW_GATEWAY_URL=http://localhost:{port}\n" in env
    assert f"OPENAI_BASE_URL=http://localhost:{port}/v1\n" in env
    assert "USER_ID=trainee-7\n" in env
    local_key = [line for line in env.splitlines() if line.startswith("OPENAI_API_KEY=")][0].split("=", 1)[1]
    assert local_key.startswith("cbx_")

    click(app, "#wizard-finish")
    wait_for(app, "#dashboard")
    assert json.loads((app.data_dir / "settings.json").read_text())["onboarded"] is True

    # The agent, configured only by that .env, gets answers through ClawBox.
    agent = openai.OpenAI(base_url=f"http://localhost:{port}/v1", api_key=local_key, max_retries=0)
    answer = agent.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert answer.choices[0].message.content


def test_the_dashboard_and_log_show_requests_as_they_happen_and_the_mode_switch_moves_them(app):
    url = gateway_url(app)
    (app.data_dir / "settings.json").write_text(json.dumps({"onboarded": True}))
    app.refresh()
    click(app, "#nav-dashboard")
    wait_for(app, "#dashboard")
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-e2e", max_retries=0)
    for user in ["ada", "ada", "bob"]:
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "hi"}],
            extra_headers={"X-User-ID": user},
        )
    # Pushed by the gateway's events: no reload, no polling.
    wait_for_text(app, "#total-requests", "3")
    wait_for_text(app, "#by-user", "ada")
    wait_for(app, "#chart-requests canvas")
    app.save_screenshot(str(SCREENSHOTS / "dashboard.png"))

    click(app, "#nav-requests")
    WebDriverWait(app, 15).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#requests-table tbody tr")) == 3)
    Select(find(app, "#filter-user")).select_by_visible_text("bob")
    WebDriverWait(app, 15).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#requests-table tbody tr")) == 1)
    app.save_screenshot(str(SCREENSHOTS / "requests.png"))
    Select(find(app, "#filter-user")).select_by_index(0)

    # The switch: the next request goes to the hosted gateway instead.
    click(app, "#mode-toggle")
    wait_for_text(app, "#status", "(hosted mode)")
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    deadline = time.time() + 10
    while time.time() < deadline:
        upstreams = rows(app.data_dir, "SELECT upstream FROM requests ORDER BY id")
        if len(upstreams) == 4:
            break
        time.sleep(0.1)
    assert [u for (u,) in upstreams] == ["openai", "openai", "openai", "hosted"]
    # The list does not jump under the reader: it offers the new request.
    click(app, "#requests-new")
    wait_for_text(app, "#requests-table", "hosted")
    app.save_screenshot(str(SCREENSHOTS / "requests-hosted.png"))

    click(app, "#export-csv")
    result = wait_for_text(app, "#export-result", "Exported 4 rows to ")
    export = Path(result.split(" rows to ", 1)[1].strip())
    # The Downloads folder, or the home folder on a desktop without one (as here).
    assert export.parent in (app.home, app.home / "Downloads"), export
    assert len(export.read_text().splitlines()) == 5


def test_accounts_and_settings_screens(app):
    gateway_url(app)
    (app.data_dir / "settings.json").write_text(json.dumps({"onboarded": True}))
    app.refresh()
    click(app, "#nav-accounts")
    wait_for_text(app, "#local-key-fingerprint", "cbx_")
    find(app, "#key-anthropic-input").send_keys("sk-ant-e2e-0123456789")
    click(app, "#key-anthropic-save")
    wait_for(app, "#key-anthropic-remove")
    assert "sk-ant-e2e" not in app.page_source
    # Claude Code, connected from the window (its settings.json in this test's home folder).
    click(app, "#tool-claude-connect")
    wait_for_text(app, "#tool-claude-result", "now points at ClawBox")
    claude = json.loads((app.home / ".claude" / "settings.json").read_text())
    assert claude["env"]["ANTHROPIC_AUTH_TOKEN"].startswith("cbx_")
    assert claude["env"]["ANTHROPIC_BASE_URL"].startswith("http://localhost:")
    # The compatibility check: every API through the current route, and the connected file.
    click(app, "#run-doctor")
    wait_for_text(app, "#doctor-result", "All is well", timeout=30)
    app.save_screenshot(str(SCREENSHOTS / "accounts.png"))

    click(app, "#nav-settings")
    limit = wait_for(app, "#setting-rate_limit")
    limit.clear()
    limit.send_keys("0")
    click(app, "#settings-save")
    wait_for_text(app, "#settings-error", "rate_limit")
    limit.clear()
    limit.send_keys("12")
    click(app, "#settings-save")
    wait_for(app, "#settings-saved")
    assert json.loads((app.data_dir / "settings.json").read_text())["rate_limit"] == 12
    # The port is set by CLAWBOX_LISTEN here: locked, and saying so.
    assert not find(app, "#setting-port").is_enabled()
    app.save_screenshot(str(SCREENSHOTS / "settings.png"))
    app.set_window_size(800, 600)
    app.save_screenshot(str(SCREENSHOTS / "settings-800x600.png"))
    width = app.execute_script("return document.documentElement.scrollWidth")
    assert width <= 800, f"the page scrolls sideways at 800x600 ({width}px)"


def test_signing_in_with_chatgpt_from_the_wizard(app):
    gateway_url(app)
    wait_for(app, "#wizard")
    click(app, "#wizard-mode-local")
    click(app, "#wizard-next")
    # The system browser (here a stand-in that approves) does the sign-in; the window waits.
    click(app, "#wizard-chatgpt")
    wait_for_text(app, "#wizard-credentials", "Signed in with ChatGPT", timeout=30)
    app.save_screenshot(str(SCREENSHOTS / "wizard-chatgpt.png"))
    assert json.loads((app.data_dir / "settings.json").read_text())["auth_mode"] == "codex"
    click(app, "#wizard-next")
    click(app, "#wizard-check")
    wait_for_text(app, "#wizard-result", "Agent ready", timeout=30)
    # The check went to the ChatGPT account, not to an API.
    assert rows(app.data_dir, "SELECT upstream, status FROM requests") == [("codex", 200)]
    # No token of the sign-in ever reaches the page.
    assert "eyJ" not in app.page_source


def test_a_provisioning_file_fills_in_the_first_run_wizard(tmp_path, request):
    # Put in place before ClawBox first starts, as an operator preparing a lab machine would.
    data = tmp_path / "data"
    data.mkdir()
    (data / "provision.json").write_text(json.dumps({"user_id": "lab-pc-12", "mode": "local"}))
    app = request.getfixturevalue("app")
    wait_for_text(app, "#wizard-offer", f"Filled in from {data / 'provision.json'}")
    assert find(app, "#wizard-user-id").get_attribute("value") == "lab-pc-12"
    assert find(app, "#wizard-mode-local").is_selected()
    click(app, "#wizard-next")
    wait_for(app, "#wizard-api-key")
    # Used once: set aside, so the next start does not offer it again.
    assert not (data / "provision.json").exists()
    assert json.loads((data / "provision.used.json").read_text())["user_id"] == "lab-pc-12"
    assert json.loads((data / "settings.json").read_text())["user_id"] == "lab-pc-12"
