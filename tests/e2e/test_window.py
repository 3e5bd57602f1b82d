"""What a person sees: the window shows the running gateway, counts requests live, and switches
mode without a restart."""

import json
import time
import urllib.request

import openai
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import SCREENSHOTS  # noqa: E402


def text_of(driver, css):
    return driver.find_element(By.CSS_SELECTOR, css).text


def wait_for_text(driver, css, needle, timeout=10):
    WebDriverWait(driver, timeout).until(lambda d: needle in text_of(d, css))
    return text_of(driver, css)


def test_the_window_shows_the_gateway_counts_requests_and_switches_mode(app):
    status = wait_for_text(app, "#status", "Gateway running on http://127.0.0.1:")
    url = status.split("running on ")[1].split(" ")[0]
    with urllib.request.urlopen(f"{url}/health", timeout=5) as r:
        assert json.load(r)["gateway"] == "clawbox"
    app.save_screenshot(str(SCREENSHOTS / "status.png"))

    # A request from an agent shows up in the window, pushed by the gateway's events.
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-e2e", max_retries=0)
    assert client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
    ).choices[0].message.content
    wait_for_text(app, "#request-count", "Requests since the window opened: 1")

    app.find_element(By.CSS_SELECTOR, "#mode-toggle").click()
    wait_for_text(app, "#status", "(hosted mode)")
    settings = json.loads((app.data_dir / "settings.json").read_text())
    assert settings["mode"] == "hosted"
    with urllib.request.urlopen(f"{url}/health", timeout=5) as r:
        assert json.load(r)["mode"] == "hosted"
    app.save_screenshot(str(SCREENSHOTS / "hosted.png"))


def test_quitting_stops_the_gateway_gracefully_with_every_row_flushed(tmp_path, provider):
    import os
    import signal
    import sqlite3
    import subprocess

    from conftest import BIN_DIR, free_port

    port = free_port()
    env = {
        **os.environ,
        "CLAWBOX_DATA_DIR": str(tmp_path),
        "CLAWBOX_LISTEN": f"127.0.0.1:{port}",
        "CLAWBOX_OPENAI_URL": provider,
        "CLAWBOX_SECRET_STORE": "file",
    }
    app = subprocess.Popen([str(BIN_DIR / "clawbox")], env=env, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{url}/health", timeout=1)
                break
            except OSError:
                assert app.poll() is None, app.stderr.read()
                time.sleep(0.1)
        else:
            raise AssertionError("the app's gateway never answered /health")
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-e2e", max_retries=0)
        for _ in range(20):
            client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
        app.send_signal(signal.SIGTERM)
        assert app.wait(timeout=20) == 0
    finally:
        if app.poll() is None:
            app.kill()
    with sqlite3.connect(tmp_path / "clawbox.db") as db:
        assert db.execute("SELECT COUNT(*) FROM requests").fetchone()[0] == 20
