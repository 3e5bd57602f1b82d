"""The .deb a trainee installs: dpkg puts it in place, the installed app serves its gateway and
opens its wizard from a setup link, updates itself from a signed newer build, refuses a
tampered, foreign-key, replayed or older one, and uninstalls cleanly. In file order: the
installed version moves forward only in the last update test."""

import json
import os
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import BASE, INSTALLED, NEWER, PACKAGE, TAURI, e2e, installed_version

SCREENSHOTS = e2e.SCREENSHOTS


def find(driver, css):
    return driver.find_element(By.CSS_SELECTOR, css)


def wait_for_text(driver, css, needle, timeout=20):
    try:
        WebDriverWait(driver, timeout).until(
            lambda d: any(needle in e.text for e in d.find_elements(By.CSS_SELECTOR, css))
        )
    except Exception:
        raise AssertionError(f"{css} never said {needle!r}; the window: {screen_text(driver)}")
    return find(driver, css).text


def screen_text(driver):
    try:
        return driver.find_element(By.TAG_NAME, "main").text
    except Exception as e:  # the window is gone
        return f"(unreadable: {e})"


def click(driver, css, timeout=20):
    try:
        WebDriverWait(driver, timeout).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, css) and find(d, css).is_enabled()
        )
    except Exception:
        # What the window showed instead, for whoever reads the failure.
        driver.save_screenshot(str(SCREENSHOTS / f"package-failed-{css.strip('#')}.png"))
        raise AssertionError(f"{css} was not there to click; the window: {screen_text(driver)}")
    find(driver, css).click()


def health(port, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                return json.load(r)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def app_env(tmp_path, provider, port):
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {
        **os.environ,
        "HOME": str(home),
        "CLAWBOX_DATA_DIR": str(tmp_path / "data"),
        "CLAWBOX_LISTEN": f"127.0.0.1:{port}",
        "CLAWBOX_OPENAI_URL": provider,
        "CLAWBOX_ANTHROPIC_URL": provider,
        "CLAWBOX_SECRET_STORE": "file",
        "NO_PROXY": "127.0.0.1,localhost",
    }


def our_apps(data_dir):
    """PIDs of installed ClawBox processes started by this test (found by their data dir)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            exe = os.readlink(proc / "exe")
            environ = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if exe.startswith(str(INSTALLED)) and f"CLAWBOX_DATA_DIR={data_dir}".encode() in environ:
            pids.append(int(proc.name))
    return pids


def test_the_deb_installs_the_app_its_desktop_entry_and_link_handler(installed):
    assert installed_version() == BASE
    assert INSTALLED.is_file() and os.access(INSTALLED, os.X_OK)
    status = subprocess.run(["dpkg-query", "-s", PACKAGE], capture_output=True, text=True).stdout
    depends = next(line for line in status.splitlines() if line.startswith("Depends:"))
    # The tray needs the appindicator library: without it the app aborts at start.
    for lib in ("libayatana-appindicator3-1", "libwebkit2gtk-4.1-0", "libgtk-3-0"):
        assert lib in depends, depends
    desktop = Path("/usr/share/applications/ClawBox.desktop").read_text()
    # The link reaches the app as its argument (%u), and the app claims clawbox:// links.
    assert "Exec=clawbox %u" in desktop, desktop
    assert "MimeType=x-scheme-handler/clawbox" in desktop, desktop
    valid = subprocess.run(["desktop-file-validate", "/usr/share/applications/ClawBox.desktop"], capture_output=True, text=True)
    assert valid.returncode == 0 and not valid.stdout.strip(), valid.stdout
    # The installed binary is ClawBox's command line too, and knows its version.
    version = subprocess.run([str(INSTALLED), "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("clawbox "), version


def test_the_installed_app_serves_its_gateway_and_a_setup_link_fills_in_its_wizard(
    installed, tmp_path, provider, hosted
):
    port = e2e.free_port()
    env = app_env(tmp_path, provider, port)
    link = "clawbox://onboard?" + urllib.parse.urlencode(
        {"user_id": "trainee-07", "hosted_url": hosted, "mode": "hosted"}
    )
    driver = e2e.start_session(INSTALLED, env)
    try:
        assert health(port)["status"] in ("ok", "degraded")
        # A first run: setup opens by itself, empty.
        wait_for_text(driver, "#wizard", "Your user id")
        # The link opened the way the desktop opens one (a click in a browser or a chat): gio
        # finds the app registered for clawbox:// and runs `clawbox <link>`, whose process hands
        # the link to the running ClawBox and exits.
        handler = subprocess.run(["gio", "mime", "x-scheme-handler/clawbox"], capture_output=True, text=True)
        assert "Default application for “x-scheme-handler/clawbox”: ClawBox.desktop" in handler.stdout, handler
        opened = subprocess.run(["gio", "open", link], env=env, capture_output=True, timeout=30)
        assert opened.returncode == 0, opened
        wait_for_text(driver, "#wizard-offer", "Filled in from your setup link")
        assert find(driver, "#wizard-user-id").get_attribute("value") == "trainee-07"
        assert find(driver, "#wizard-mode-hosted").is_selected()
        assert find(driver, "#wizard-hosted-url").get_attribute("value") == hosted
        driver.save_screenshot(str(SCREENSHOTS / "package-setup-link.png"))

        # The destination is not saved until the person says they know it.
        assert not find(driver, "#wizard-next").is_enabled()
        settings = tmp_path / "data" / "settings.json"
        assert "trainee-07" not in (settings.read_text() if settings.exists() else "")
        click(driver, "#wizard-trust")
        click(driver, "#wizard-next")
        wait_for_text(driver, ".step-title", "Check that it works")
        saved = json.loads(settings.read_text())
        assert (saved["mode"], saved["hosted_url"], saved["user_id"]) == ("hosted", hosted, "trainee-07")
        # The trainee's agent works: the check's test request goes through the workshop's
        # (fake) hosted ClawBox.
        click(driver, "#wizard-check")
        wait_for_text(driver, "#wizard-result", "Agent ready", timeout=30)
    finally:
        e2e.end_session(driver)


def test_a_setup_link_starts_a_closed_clawbox_on_its_filled_in_wizard(installed, tmp_path, provider):
    port = e2e.free_port()
    link = "clawbox://onboard?user_id=trainee-08"
    # As the desktop opens a link when ClawBox is not running: `clawbox <link>`.
    driver = e2e.start_session(INSTALLED, app_env(tmp_path, provider, port), args=[link])
    try:
        wait_for_text(driver, "#wizard-offer", "Filled in from your setup link")
        assert find(driver, "#wizard-user-id").get_attribute("value") == "trainee-08"
        # Only a user id: the mode stays as it was, and nothing asks to trust an address.
        assert find(driver, "#wizard-mode-local").is_selected()
        assert not driver.find_elements(By.CSS_SELECTOR, "#wizard-trust")
        # The link opened the window; it did not run as a command line.
        assert health(port)["status"] in ("ok", "degraded")
    finally:
        e2e.end_session(driver)


def check_for_update(driver):
    wait_for_text(driver, "main", "ClawBox")  # the first screen is up
    click(driver, "#nav-settings")
    # Once the settings form is in: it pushes the Updates card down as it appears, and a click
    # aimed at the button just before that lands on whatever took its place.
    wait_for_text(driver, "#settings-save", "Save")
    click(driver, "#check-update")


def test_updates_that_are_older_replayed_tampered_or_signed_by_another_key_are_refused(
    installed, update_server, keys, tmp_path, provider
):
    newer, base = installed["newer"], installed["base"]
    signature = lambda deb: Path(f"{deb}.sig").read_text()  # noqa: E731
    tampered = newer.with_name("tampered.deb")
    data = bytearray(newer.read_bytes())
    data[-100] ^= 0xFF  # one byte of the package's payload
    tampered.write_bytes(data)
    foreign = newer.with_name("foreign.deb")
    foreign.write_bytes(newer.read_bytes())
    subprocess.run(
        [str(TAURI), "signer", "sign", "-f", str(keys / "stranger.key"), "-p", "", str(foreign)],
        check=True,
        capture_output=True,
    )

    port = e2e.free_port()
    driver = e2e.start_session(INSTALLED, app_env(tmp_path, provider, port))
    try:
        health(port)
        wait_for_text(driver, "#wizard", "Your user id")  # a first run opens setup
        # An older version: never offered.
        update_server.publish("0.9.9", base.name, signature(base))
        check_for_update(driver)
        wait_for_text(driver, "#update-result", f"offered version 0.9.9, older than this ClawBox ({BASE})")
        assert not driver.find_elements(By.CSS_SELECTOR, "#install-update")

        refusals = [
            # An old release announced as a new one: its signature names the version it was made for.
            ("2.0.0", base.name, signature(base), f"sent a package signed as version {BASE}"),
            ("1.0.1", tampered.name, signature(newer), "signature does not match"),
            ("1.0.1", foreign.name, Path(f"{foreign}.sig").read_text(), "created with a different key"),
        ]
        for version, package, sig, reason in refusals:
            update_server.publish(version, package, sig)
            check_for_update(driver)
            wait_for_text(driver, "#update-result", f"ClawBox {version} is available")
            click(driver, "#install-update")
            message = wait_for_text(driver, "#update-install-error", reason, timeout=60)
            assert f"Nothing was installed; ClawBox stays at version {BASE}" in message, message
            assert installed_version() == BASE, package
        driver.save_screenshot(str(SCREENSHOTS / "package-update-refused.png"))
        # Still serving.
        assert health(port)["status"] in ("ok", "degraded")
    finally:
        e2e.end_session(driver)


def test_a_signed_newer_build_is_offered_installed_and_restarted(installed, update_server, tmp_path, provider):
    newer = installed["newer"]
    update_server.publish(NEWER, newer.name, Path(f"{newer}.sig").read_text(), notes="Faster charts.")
    port = e2e.free_port()
    data_dir = tmp_path / "data"
    driver = e2e.start_session(INSTALLED, app_env(tmp_path, provider, port))
    try:
        health(port)
        wait_for_text(driver, "#wizard", "Your user id")
        [first] = our_apps(data_dir)
        # ClawBox asks by itself shortly after start, and offers what it found.
        wait_for_text(driver, "#update-banner", f"ClawBox {NEWER} is available (you have {BASE}).")
        check_for_update(driver)
        wait_for_text(driver, "#update-result", f"ClawBox {NEWER} is available (you have {BASE}).")
        wait_for_text(driver, "#update-result", "Faster charts.")
        driver.save_screenshot(str(SCREENSHOTS / "package-update-offered.png"))
        click(driver, "#update-banner-install")

        # dpkg installs it (as root), and ClawBox restarts into the new version on the same port.
        deadline = time.monotonic() + 120
        while installed_version() != NEWER and time.monotonic() < deadline:
            time.sleep(0.5)
        assert installed_version() == NEWER
        while time.monotonic() < deadline:
            pids = our_apps(data_dir)
            if pids and first not in pids:
                break
            time.sleep(0.5)
        [restarted] = our_apps(data_dir)
        assert restarted != first
        assert health(port, timeout=60)["status"] in ("ok", "degraded")
    finally:
        e2e.end_session(driver)
        for pid in our_apps(data_dir):
            os.kill(pid, 15)


def test_uninstalling_removes_the_app(installed):
    result = subprocess.run(["dpkg", "-r", PACKAGE], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert installed_version() is None
    assert not INSTALLED.exists()
    assert not Path("/usr/share/applications/ClawBox.desktop").exists()
