"""The real app in its real webview (WebKitGTK) under Xvfb, driven through tauri-driver."""

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The SDK tests' fixtures (the built binaries, the fake provider), under another module name.
_spec = importlib.util.spec_from_file_location("sdk_conftest", ROOT / "tests" / "sdk" / "conftest.py")
_sdk = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_sdk)
BIN_DIR = _sdk.BIN_DIR
provider = _sdk.provider
hosted = _sdk.hosted
oauth = _sdk.oauth

TAURI_DRIVER = ROOT / ".tools" / "bin" / "tauri-driver"
SCREENSHOTS = ROOT / "target" / "e2e-screenshots"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def app(tmp_path, provider, hosted, oauth):
    """A WebDriver session on the ClawBox window, with its own data dir and home folder (its
    Downloads, autostart entry and WebKit caches), a fake provider, a fake hosted gateway, and
    the fake OpenAI sign-in server with a "browser" that approves whatever it is sent to."""
    home = tmp_path / "home"
    home.mkdir()
    browser = tmp_path / "browser"
    browser.write_text(
        f"#!/bin/sh\n# Follows the sign-in page to its redirect, as a person clicking Allow would.\n"
        f"exec {sys.executable} -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=10)' \"$1\"\n"
    )
    browser.chmod(0o755)
    env = {
        **os.environ,
        "HOME": str(home),
        "CLAWBOX_DATA_DIR": str(tmp_path / "data"),
        "CLAWBOX_LISTEN": "127.0.0.1:0",
        "CLAWBOX_OPENAI_URL": provider,
        "CLAWBOX_ANTHROPIC_URL": provider,
        "CLAWBOX_HOSTED_URL": hosted,
        "CLAWBOX_SECRET_STORE": "file",
        "CLAWBOX_CODEX_ISSUER": oauth,
        "CLAWBOX_CODEX_BACKEND_URL": oauth,
        "BROWSER": str(browser),
    }
    driver = start_session(BIN_DIR / "clawbox", env)
    driver.data_dir = tmp_path / "data"
    driver.home = home
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    end_session(driver)


def start_session(application, env, args=()):
    """A WebDriver session on a fresh ClawBox window: `application` started by tauri-driver
    (through WebKitWebDriver) with `env` and `args`. End it with end_session."""
    from selenium import webdriver
    from selenium.webdriver.common.options import ArgOptions

    assert os.environ.get("DISPLAY"), "run under Xvfb (make test does: xvfb-run)"
    port, native = free_port(), free_port()
    driver_proc = subprocess.Popen(
        [str(TAURI_DRIVER), "--port", str(port), "--native-port", str(native)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    options = ArgOptions()
    options.set_capability("browserName", "wry")
    options.set_capability("tauri:options", {"application": str(application), "args": list(args)})
    driver, last_error = None, None
    for _ in range(50):  # the driver takes a moment to listen
        try:
            driver = webdriver.Remote(command_executor=f"http://127.0.0.1:{port}", options=options)
            break
        except Exception as e:  # connection refused while it starts, or a real failure
            last_error = e
            time.sleep(0.2)
    if driver is None:
        driver_proc.kill()
        raise AssertionError(f"tauri-driver did not start a session: {last_error}")
    driver.driver_proc = driver_proc
    driver.app_pids = app_pids(driver_proc.pid, Path(application))
    return driver


def end_session(driver):
    try:
        driver.quit()
    except Exception:  # the app may already have gone (an update restarts it)
        pass
    driver.driver_proc.terminate()
    driver.driver_proc.wait(timeout=10)
    # WebKitWebDriver usually ends the app it started, but not when it is itself ended first:
    # an app left running would be the "single instance" the next session's app defers to.
    for pid in driver.app_pids:
        stop_pid(pid)


def app_pids(driver_pid, application):
    """The app processes tauri-driver's WebKitWebDriver started (its descendants running
    `application`), looked up once the session exists."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, stack = [], [driver_pid]
    while stack:
        for child in children.get(stack.pop(), []):
            stack.append(child)
            try:
                if Path(f"/proc/{child}/exe").resolve() == application.resolve():
                    found.append(child)
            except OSError:
                pass
    return found


def stop_pid(pid, grace=15):
    """SIGTERM (the app's graceful quit), then SIGKILL if it is still there after `grace` s."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.time() + grace
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
