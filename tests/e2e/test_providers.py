"""Settings → Providers in the real window: a preset added with its key (kept in the secret
store, never shown again) serves its models through ClawBox at once, becomes the default
upstream, and is removed with its key; a Responses answer from it is kept as a conversation,
shown in Settings → Conversations and forgotten from there. The screenshots
(settings-providers.png, settings-conversations.png) go to target/e2e-screenshots/ and are the
README's."""

import json
import os
import sqlite3
import subprocess

import openai
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import BIN_DIR, SCREENSHOTS  # noqa: E402
from test_screens import click, find, gateway_url, rows, wait_for, wait_for_text  # noqa: E402

KEY = "sk-e2e-deepseek-0123456789"


def settings(app):
    return json.loads((app.data_dir / "settings.json").read_text())


def kept_count(app):
    with sqlite3.connect(app.data_dir / "conversations.db") as db:
        return db.execute("SELECT count(*) FROM responses").fetchone()[0]


def local_key(app):
    env = {**os.environ, "CLAWBOX_DATA_DIR": str(app.data_dir), "CLAWBOX_SECRET_STORE": "file"}
    out = subprocess.run(
        [str(BIN_DIR / "clawbox-gateway"), "key", "show-local"], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_a_provider_added_in_settings_serves_its_models(app, provider):
    url = gateway_url(app)
    (app.data_dir / "settings.json").write_text(json.dumps({"onboarded": True}))
    app.refresh()
    click(app, "#nav-settings")
    wait_for_text(app, "#providers", "No providers yet")

    Select(wait_for(app, "#provider-preset")).select_by_value("deepseek")
    base = wait_for(app, "#provider-base-url")
    assert base.get_attribute("value") == "https://api.deepseek.com/v1"
    base.clear()
    base.send_keys(f"{provider}/v1")  # the fake stands in for DeepSeek
    assert find(app, "#provider-models").get_attribute("value") == "deepseek-*"
    find(app, "#provider-key").send_keys(KEY)
    click(app, "#add-provider")
    row = wait_for_text(app, "#provider-deepseek", "key saved")
    # Its own list, asked for with the saved key as it was added.
    assert "2 models it lists" in row, row
    assert KEY not in app.page_source
    # Kept for the provider's name and host: pointed elsewhere, it would need its key again.
    item = f"deepseek@{provider.removeprefix('http://')}-api-key"
    secrets = json.loads((app.data_dir / "secrets.json").read_text())
    assert secrets.get(item) == KEY, secrets.keys()

    Select(find(app, "#default-upstream")).select_by_value("deepseek")
    WebDriverWait(app, 10).until(lambda _: settings(app).get("default_upstream") == "deepseek")
    app.execute_script("document.getElementById('providers').scrollIntoView({block: 'start'})")
    app.save_screenshot(str(SCREENSHOTS / "settings-providers.png"))

    client = openai.OpenAI(base_url=f"{url}/v1", api_key=local_key(app), max_retries=0)
    for model in ["deepseek-chat", "a-model-nothing-claims"]:
        raw = client.chat.completions.with_raw_response.create(model=model, messages=[{"role": "user", "content": "hi"}])
        assert raw.headers["x-clawbox-upstream"] == "deepseek", model
    logged = "SELECT count(*) FROM requests WHERE upstream = 'deepseek' AND status = 200"
    WebDriverWait(app, 10).until(lambda _: rows(app.data_dir, logged)[0][0] == 2)

    # A provider keeps no conversation: ClawBox does, under its own id, and Settings says so.
    kept = client.responses.create(model="deepseek-chat", input="remember the number 42")
    assert kept.id.startswith("resp_") and kept.id != "resp_fake"
    WebDriverWait(app, 10).until(lambda _: kept_count(app) == 1)  # kept off the request path
    click(app, "#nav-dashboard")
    click(app, "#nav-settings")
    wait_for_text(app, "#conversations", "1 response kept")
    app.execute_script("document.getElementById('conversations').scrollIntoView({block: 'start'})")
    app.save_screenshot(str(SCREENSHOTS / "settings-conversations.png"))
    click(app, "#forget-conversations")
    click(app, "#confirm-yes")
    wait_for_text(app, "#conversations", "No conversations are kept")
    assert kept_count(app) == 0

    click(app, "#provider-deepseek-remove")
    click(app, "#confirm-yes")
    wait_for_text(app, "#providers", "No providers yet")
    assert item not in json.loads((app.data_dir / "secrets.json").read_text())
    assert "default_upstream" not in settings(app)
