"""A real mail setup for the guichet-by-e-mail tests (#18).

- `Dovecot`: Debian's Dovecot (`dovecot-imapd`) started on 127.0.0.1 on a free port, with a throwaway config, a
  passwd-file user and a Maildir in a temporary folder; stopped at the end. `scripts/test.sh` installs it when it is
  missing (as it does PostgreSQL); without it the tests skip, except under `CI=true` where they fail.
- `InboundMX`: the receiving mail server in front of it, a real SMTP server (aiosmtpd) that does what an MX does
  with each mail it accepts: writes `Return-Path` (the envelope sender) and its `Authentication-Results` (as if it
  had checked DKIM/SPF: the domains it "verifies" are `verified_domains`), then delivers it into the mailbox over
  IMAP (`APPEND`). The tests send with `smtplib`; the notifications the platform sends go to `smtp_server`.
"""

import getpass
import imaplib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller

from tests.utils import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "guichet", "motdepasse-de-test"
AUTHSERV_ID = "mx.incubateur.test"

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
{extra}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""

# Without root, every Dovecot process runs as the current user, and nothing is chrooted.
UNPRIVILEGED = """\
default_login_user = {user}
default_internal_user = {user}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


def available() -> bool:
    return os.path.exists(DOVECOT) and os.access(DOVECOT, os.X_OK)


class Dovecot:
    def __init__(self):
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="dovecot-test-"))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"imap://{USER}:{PASSWORD}@127.0.0.1:{self.port}/INBOX"

    def start(self) -> "Dovecot":
        root = self.root
        for name in ("run", "state", "mail", "home"):
            (root / name).mkdir()
        if os.getuid() == 0:
            uid = gid = 65534  # nobody: Dovecot never lets a mail user be root
            extra = ""
            for name in ("mail", "home"):
                os.chown(root / name, uid, gid)
            os.chmod(root, 0o755)
        else:
            uid, gid = os.getuid(), os.getgid()
            extra = UNPRIVILEGED.format(user=getpass.getuser())
        (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        config = root / "dovecot.conf"
        config.write_text(CONFIG.format(root=root, uid=uid, gid=gid, port=self.port, extra=extra))
        with open(root / "output.log", "wb") as output:
            self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stdout=output, stderr=output)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = (root / "output.log").read_text(errors="replace")
                raise RuntimeError(f"Dovecot did not start: {output}")
            try:
                client = imaplib.IMAP4("127.0.0.1", self.port, timeout=2)
                client.logout()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("Dovecot did not open its port in 15 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(USER, PASSWORD)
        client.select("INBOX")
        return client

    def append(self, raw: bytes) -> None:
        client = self.client()
        try:
            status, data = client.append("INBOX", None, None, raw)
            assert status == "OK", data
        finally:
            client.logout()

    def unseen(self) -> int:
        client = self.client()
        try:
            _, data = client.uid("SEARCH", None, "UNSEEN")
            return len(data[0].split()) if data and data[0] else 0
        finally:
            client.logout()

    def _store(self, flags: str, *, expunge: bool = False) -> None:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(USER, PASSWORD)
        try:
            _, data = client.select("INBOX")
            if int(data[0]):
                client.store("1:*", flags, r"(\Seen)" if not expunge else r"(\Deleted)")
                if expunge:
                    client.expunge()
        finally:
            client.logout()

    def mark_unseen(self) -> None:
        """Every message unread again (as if the server had lost the flags): the next fetch reads them all."""
        self._store("-FLAGS.SILENT")

    def empty(self) -> None:
        self._store("+FLAGS.SILENT", expunge=True)


@dataclass
class MXHandler:
    dovecot: Dovecot
    verified_domains: set[str] = field(default_factory=set)

    async def handle_DATA(self, server, session, envelope):
        sender = envelope.mail_from or ""
        domain = sender.rpartition("@")[2].lower()
        if sender and domain in self.verified_domains:
            results = f"{AUTHSERV_ID}; dkim=pass header.d={domain} header.s=sel; spf=pass smtp.mailfrom={sender}"
        elif sender:
            results = f"{AUTHSERV_ID}; dkim=none; spf=fail smtp.mailfrom={sender}"
        else:
            results = f"{AUTHSERV_ID}; spf=none smtp.mailfrom=<>"
        content = envelope.original_content or envelope.content
        head = f"Return-Path: <{sender}>\r\nAuthentication-Results: {results}\r\n".encode()
        self.dovecot.append(head + content)
        return "250 Message accepted for delivery"


class InboundMX:
    def __init__(self, dovecot: Dovecot):
        self.port = free_port()
        self.handler = MXHandler(dovecot)
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, data_size_limit=64 * 1024 * 1024
        )

    def start(self) -> "InboundMX":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
