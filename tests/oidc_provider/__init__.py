"""A real OpenID provider for the ProConnect tests (#15): node-oidc-provider, configured like ProConnect
(provider.mjs), started on 127.0.0.1 on a free port.

`OIDCProvider(rp_base_urls=[...])` starts it (installing its pinned packages with `npm ci` when `node_modules` is
missing), `configure(settings)` points Django's ProConnect settings at it, `stop()` ends it. `browse()` plays the
person's browser at the provider (a `requests` session: the provider's cookies) up to the redirect back to the
relying party, whose URL it returns.
"""

import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import requests

from tests.utils import free_port

HERE = Path(__file__).resolve().parent
CLIENT_ID = "incubateur-tests"
CLIENT_SECRET = "un-secret-de-test-" + "x" * 32
# The test accounts of provider.mjs: sub → e-mail.
ACCOUNTS = {
    "pc-sub-camille": "camille.dupont@beta.gouv.fr",
    "pc-sub-dominique": "dominique.martin@beta.gouv.fr",
    "pc-sub-inconnu": "personne.inconnue@exemple.gouv.fr",
}
CALLBACK = "/connexion/proconnect/retour/"
POST_LOGOUT = "/deconnexion/proconnect/"


class ProviderUnavailable(RuntimeError):
    pass


def _install() -> None:
    if (HERE / "node_modules" / "oidc-provider").is_dir():
        return
    if shutil.which("npm") is None or shutil.which("node") is None:
        raise ProviderUnavailable(
            "node and npm are needed for the ProConnect tests: apt-get install nodejs npm (scripts/test.sh does it "
            "as root)."
        )
    # Test processes run side by side (pytest-xdist): one installs, the others wait for it and find it done.
    with open(HERE / ".npm-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (HERE / "node_modules" / "oidc-provider").is_dir():
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True, capture_output=True, timeout=600
            )


class OIDCProvider:
    def __init__(self, *, rp_base_urls: list[str]):
        _install()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.issuer = f"{self.base}/api/v2"
        self.http = requests.Session()
        self.http.trust_env = False
        env = {
            **os.environ,
            "PORT": str(self.port),
            "CLIENT_ID": CLIENT_ID,
            "CLIENT_SECRET": CLIENT_SECRET,
            "REDIRECT_URIS": json.dumps([base + CALLBACK for base in rp_base_urls]),
            "POST_LOGOUT_REDIRECT_URIS": json.dumps([base + POST_LOGOUT for base in rp_base_urls]),
        }
        # Its output goes to a file (a pipe nobody reads could fill up and stall it), read if it fails to start.
        self.output = tempfile.TemporaryFile()  # closed by stop()
        self.process = subprocess.Popen(
            ["node", str(HERE / "provider.mjs")], cwd=HERE, env=env, stdout=self.output, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if self.http.get(f"{self.issuer}/.well-known/openid-configuration", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self._terminate()
                self.output.seek(0)
                error = self.output.read().decode(errors="replace") or "timeout"
                self.stop()
                raise ProviderUnavailable(f"the test OpenID provider did not start: {error}")
            time.sleep(0.1)

    def stop(self) -> None:
        self._terminate()
        self.output.close()
        self.http.close()

    def _terminate(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def configure(self, settings) -> None:
        """Point Django's ProConnect settings (a pytest-django `settings`) at this provider."""
        settings.PROCONNECT_ISSUER = self.issuer
        settings.PROCONNECT_CLIENT_ID = CLIENT_ID
        settings.PROCONNECT_CLIENT_SECRET = CLIENT_SECRET
        settings.PROCONNECT_SCOPES = "openid email given_name usual_name uid siret"
        settings.PROCONNECT_ACR_VALUES = "eidas1"
        # What the settings' ProConnect block adds when PROCONNECT_ISSUER comes from the environment.
        policy = settings.CONTENT_SECURITY_POLICY
        directives = {**policy["DIRECTIVES"], "form-action": [*policy["DIRECTIVES"]["form-action"], self.base]}
        settings.CONTENT_SECURITY_POLICY = {**policy, "DIRECTIVES": directives}

    def set_mode(self, mode: str) -> None:
        """Alter the next token or userinfo response (provider.mjs lists the modes)."""
        self.http.post(f"{self.base}/__test__/mode", json={"mode": mode}, timeout=5).raise_for_status()

    def browse(self, url: str, *, account: str | None, until: str, browser: requests.Session | None = None) -> str:
        """Follow `url` at the provider as a browser would (log in as `account` when asked) until it redirects to
        an address that starts with `until` (the relying party): that address."""
        browser = browser or self.new_browser()
        response = browser.get(url, allow_redirects=False, timeout=10)
        for _ in range(20):
            if response.is_redirect:
                location = urljoin(response.url, response.headers["Location"])
                if location.startswith(until):
                    return location
                response = browser.get(location, allow_redirects=False, timeout=10)
                continue
            form = _first_form(response.text)
            assert response.status_code == 200 and form is not None, (response.status_code, response.text[:2000])
            data = dict(form["fields"])
            if "login" in form["buttons"]:
                assert account is not None, "the provider asks for a login"
                data["login"] = account
            response = browser.post(
                urljoin(response.url, form["action"]), data=data, allow_redirects=False, timeout=10
            )
        raise AssertionError("too many steps at the provider")

    def new_browser(self) -> requests.Session:
        browser = requests.Session()
        browser.trust_env = False
        return browser


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action", ""), "fields": {}, "buttons": set()})
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value", "")
        elif tag == "button" and self.forms and attrs.get("name"):
            self.forms[-1]["buttons"].add(attrs["name"])


def _first_form(html: str) -> dict | None:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms[0] if parser.forms else None
