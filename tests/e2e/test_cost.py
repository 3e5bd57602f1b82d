"""Cost and the ChatGPT plan in the real window: the today strip, the plan's windows and the cost
on the Dashboard, a request's detail panel in the log, and usage alerts with their setting. The
screenshots (dashboard-cost.png, request-detail.png, settings-budget.png) go to
target/e2e-screenshots/ and are the README's."""

import json
import time
import urllib.request

import openai
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import SCREENSHOTS  # noqa: E402
from test_screens import click, find, gateway_url, rows, wait_for, wait_for_text  # noqa: E402

DEFAULT_WINDOWS = [[22.0, 300], [32.0, 10080]]


def set_plan_windows(oauth, windows):
    """What the fake ChatGPT backend reports from now on: [[used_percent, window_minutes], …]."""
    request = urllib.request.Request(
        f"{oauth}/test/plan-windows",
        data=json.dumps(windows).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request, timeout=10).close()


def sign_in_and_check(app):
    """The first-run wizard with "Sign in with ChatGPT", to its check (one request on the plan)."""
    wait_for(app, "#wizard")
    click(app, "#wizard-mode-local")
    click(app, "#wizard-next")
    click(app, "#wizard-chatgpt")
    wait_for_text(app, "#wizard-credentials", "Signed in with ChatGPT", timeout=30)
    click(app, "#wizard-next")
    click(app, "#wizard-check")
    wait_for_text(app, "#wizard-result", "Agent ready", timeout=30)


def test_cost_plan_windows_detail_and_alerts_in_the_window(app, oauth):
    url = gateway_url(app)
    set_plan_windows(oauth, [[85.0, 300], [40.0, 10080]])
    try:
        sign_in_and_check(app)
        # A request paid by an API key: gpt-4o at $2.50/$1.25 cached/$10 per 1M, the fake's
        # 13 prompt tokens (8 cached) and 21 completion tokens = $0.0002325.
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-e2e-cost", max_retries=0)
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
        click(app, "#nav-dashboard")

        # Today, at a glance: money spent apart from what the plan covered, and the plan left.
        wait_for_text(app, "#today-spent", "$0.0002")
        wait_for_text(app, "#today-plan", "15% left")
        assert "covered by your plan" in find(app, "#today").text
        windows = wait_for_text(app, "#plan-limits", "5-hour: 15% left, resets in 2 h 30 min")
        assert "Weekly: 60% left, resets " in windows
        wait_for_text(app, "#total-cost", "$0.0002")
        wait_for_text(app, "#cost-by-model", "gpt-4o")
        wait_for(app, "#chart-cost canvas")
        assert "litellm" in find(app, "#price-source").text
        # The 5-hour window passed 80 %: said once, in the window (and as a notification).
        alert = wait_for_text(app, "#usage-alerts", "80% of the 5-hour window used")
        assert "15% left" in alert
        app.save_screenshot(str(SCREENSHOTS / "dashboard-cost.png"))
        assert len(app.find_elements(By.CSS_SELECTOR, ".usage-alert")) == 1

        # The request log: the cost column, and a row's detail beside it.
        click(app, "#nav-requests")
        WebDriverWait(app, 15).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#requests-table tbody tr")) == 2)
        costs = [td.text for td in app.find_elements(By.CSS_SELECTOR, "#requests-table td.cost")]
        assert costs[0] == "$0.0002" and costs[1].endswith("covered by your plan"), costs
        app.find_elements(By.CSS_SELECTOR, "#requests-table tbody tr td.cost")[0].click()
        wait_for_text(app, "#detail-cost", "$0.0002")
        assert find(app, "#detail-cached").text == "8"
        assert find(app, "#detail-reasoning").text == "5"
        assert find(app, "#detail-billing").text == "your API key (money spent)"
        assert "$2.50 in · $1.250 cached · $10.00 out per 1M tokens" in find(app, "#detail-price").text
        assert find(app, "#detail-upstream-id").text == "req_fake_upstream"
        assert "sk-e2e-cost" not in app.page_source
        app.save_screenshot(str(SCREENSHOTS / "request-detail.png"))
        click(app, "#request-detail-close")

        # Alerts off: the next window past 95 % says nothing.
        click(app, "#nav-settings")
        wait_for(app, "#setting-usage_alerts")
        for dismiss in app.find_elements(By.CSS_SELECTOR, "#usage-alerts button"):
            dismiss.click()
        click(app, "#setting-usage_alerts")
        budget = find(app, "#setting-monthly_budget_usd")
        budget.clear()
        budget.send_keys("25")
        click(app, "#settings-save")
        wait_for(app, "#settings-saved")
        saved = json.loads((app.data_dir / "settings.json").read_text())
        assert (saved["usage_alerts"], saved["monthly_budget_usd"]) == (False, 25)
        app.save_screenshot(str(SCREENSHOTS / "settings-budget.png"))
        set_plan_windows(oauth, [[97.0, 300], [40.0, 10080]])
        click(app, "#nav-accounts")
        click(app, "#run-doctor")
        wait_for_text(app, "#doctor-result", "All is well", timeout=30)
        click(app, "#nav-dashboard")
        wait_for_text(app, "#plan-limits", "5-hour: 3% left")
        time.sleep(0.5)
        assert not app.find_elements(By.CSS_SELECTOR, ".usage-alert")
        assert rows(app.data_dir, "SELECT billing FROM requests WHERE upstream = 'codex' LIMIT 1") == [("plan",)]
    finally:
        set_plan_windows(oauth, DEFAULT_WINDOWS)
