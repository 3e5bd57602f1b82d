"""Installers and updates, for real: `tauri build` makes signed .deb packages of two versions
with a throwaway update key, dpkg installs the older one, and a local update server on loopback
offers updates to the installed app. The test key, the plain-HTTP update address and the
versions come from a config overlay (`tauri build --config`) that no release ever sees."""

import importlib.util
import json
import os
import shutil
import subprocess
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

_spec = importlib.util.spec_from_file_location("e2e_conftest", ROOT / "tests" / "e2e" / "conftest.py")
e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(e2e)
provider = e2e.provider
hosted = e2e.hosted
oauth = e2e.oauth

TAURI = ROOT / ".tools" / "tauri-cli" / "node_modules" / ".bin" / "tauri"
PACKAGE = "claw-box"  # Debian's name for the product "ClawBox"
INSTALLED = Path("/usr/bin/clawbox")
# The versions the overlay gives the two builds (whatever the project's own version is).
BASE, NEWER = "1.0.0", "1.0.1"


def installed_version():
    out = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Status} ${Version}", PACKAGE], capture_output=True, text=True
    )
    if out.returncode != 0 or "install ok installed" not in out.stdout:
        return None
    return out.stdout.split()[-1]


@pytest.fixture(scope="session")
def keys(tmp_path_factory):
    """Two throwaway update keys: the one the builds trust, and a stranger's."""
    d = tmp_path_factory.mktemp("keys")
    for name in ("release", "stranger"):
        subprocess.run(
            [str(TAURI), "signer", "generate", "--ci", "-p", "", "-w", str(d / f"{name}.key"), "-f"],
            check=True,
            capture_output=True,
        )
    return d


class UpdateServer:
    """Static files on loopback, like a release page: latest.json and the packages."""

    def __init__(self, root):
        self.root = root
        handler = partial(_QuietHandler, directory=str(root))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def publish(self, version, package, signature, notes=None):
        """Announces `version` with the package file (in root) and signature text given."""
        manifest = {
            "version": version,
            "pub_date": "2026-11-24T08:00:00Z",
            "platforms": {"linux-x86_64-deb": {"url": f"{self.url}/{package}", "signature": signature}},
        }
        if notes:
            manifest["notes"] = notes
        (self.root / "latest.json").write_text(json.dumps(manifest))


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def update_server(tmp_path_factory):
    server = UpdateServer(tmp_path_factory.mktemp("updates"))
    yield server
    server.httpd.shutdown()


def build_deb(version, keys, server, work):
    """`tauri build --bundles deb` of this checkout as `version`, trusting the release key and
    asking `server` for updates. Returns the .deb and its .sig, copied out of target/."""
    overlay = work / f"overlay-{version}.json"
    overlay.write_text(
        json.dumps(
            {
                "version": version,
                "plugins": {
                    "updater": {
                        "pubkey": (keys / "release.key.pub").read_text().strip(),
                        "endpoints": [f"{server.url}/latest.json"],
                        "dangerousInsecureTransportProtocol": True,
                    }
                },
            }
        )
    )
    env = {
        **os.environ,
        "TAURI_SIGNING_PRIVATE_KEY": (keys / "release.key").read_text().strip(),
        "TAURI_SIGNING_PRIVATE_KEY_PASSWORD": "",
    }
    # --debug: the same packaging as a release, on the debug build the suite already compiled
    # (a release build would add minutes; `make package` makes those).
    result = subprocess.run(
        [str(TAURI), "build", "--debug", "--ci", "--bundles", "deb", "--config", str(overlay)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    built = ROOT / "target" / "debug" / "bundle" / "deb" / f"ClawBox_{version}_amd64.deb"
    deb = server.root / built.name
    shutil.copy(built, deb)
    shutil.copy(built.with_name(built.name + ".sig"), deb.with_name(deb.name + ".sig"))
    return deb


@pytest.fixture(scope="session")
def packages(keys, update_server, tmp_path_factory):
    work = tmp_path_factory.mktemp("build")
    newer = build_deb(NEWER, keys, update_server, work)
    base = build_deb(BASE, keys, update_server, work)
    return {"base": base, "newer": newer}


@pytest.fixture(scope="session")
def installed(packages):
    """The older package installed with dpkg, removed again at the end whatever happens."""
    if os.geteuid() != 0:
        pytest.skip("installing a .deb needs root (CI runs as root)")
    assert installed_version() is None, (
        f"a {PACKAGE} package is already installed on this machine; the test will not replace it"
    )
    result = subprocess.run(["dpkg", "-i", str(packages["base"])], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    yield packages
    if installed_version() is not None:
        subprocess.run(["dpkg", "-r", PACKAGE], capture_output=True, check=False)
