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
