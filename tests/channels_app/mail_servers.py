"""Real mail servers on loopback for the email tests: Dovecot (IMAP) and aiosmtpd (SMTP)."""

from __future__ import annotations

import getpass
import imaplib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
SPARE_USERS = 300


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, deadline_seconds: float = 15.0) -> None:
    deadline = time.monotonic() + deadline_seconds
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@dataclass
class Dovecot:
    """A private Dovecot: temp config, passwd-file users, maildirs in a temp dir."""

    root: Path
    port: int
    process_config: Path
    spare_users: dict[str, str]
    users: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(cls) -> Dovecot:
        root = Path(tempfile.mkdtemp(prefix="omnidesk-dovecot-"))
        os.chmod(root, 0o755)
        for name in ("run", "state", "home"):
            (root / name).mkdir()
        port = free_port()
        if os.geteuid() == 0:
            # Dovecot will not touch mail as root; mail belongs to its own system user.
            account = pwd.getpwnam("dovecot")
            uid, gid, extra = account.pw_uid, account.pw_gid, ""
            shutil.chown(root / "home", uid, gid)
        else:
            user = getpass.getuser()
            uid, gid = os.getuid(), os.getgid()
            extra = f"default_login_user = {user}\ndefault_internal_user = {user}\n"
        spare_users = {
            f"support-{index}-{secrets.token_hex(3)}@desk.test": secrets.token_urlsafe(12)
            for index in range(SPARE_USERS)
        }
        (root / "passwd").write_text(
            "".join(f"{name}:{{PLAIN}}{secret}\n" for name, secret in spare_users.items())
        )
        config = root / "dovecot.conf"
        config.write_text(
            f"""base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
{extra}protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""
        )
        subprocess.run([DOVECOT, "-c", str(config)], check=True)
        server = cls(root=root, port=port, process_config=config, spare_users=spare_users)
        wait_for_port(port)
        return server

    def stop(self) -> None:
        subprocess.run([DOVECOT, "-c", str(self.process_config), "stop"], check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def add_user(self) -> tuple[str, str]:
        """A mailbox nobody else used: the users are written before Dovecot starts
        (it caches the passwd-file), and each test takes the next unused one."""
        user = next(name for name in self.spare_users if name not in self.users)
        self.users[user] = self.spare_users[user]
        return user, self.users[user]

    def client(self, user: str) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(user, self.users[user])
        return client

    def append(
        self, user: str, raw: bytes, folder: str = "INBOX", *, authenticated: bool = True
    ) -> None:
        """Deliver `raw` into the mailbox as the receiving server would: stamped with its
        Authentication-Results (`tests.conversations.mail.stamped`) unless
        `authenticated=False`."""
        from tests.conversations.mail import stamped

        client = self.client(user)
        try:
            client.append(folder, None, None, stamped(raw) if authenticated else raw)
        finally:
            client.logout()

    def flags(self, user: str, folder: str = "INBOX") -> dict[int, bytes]:
        client = self.client(user)
        try:
            client.select(folder)
            _, data = client.uid("FETCH", "1:*", "(FLAGS)")
        finally:
            client.logout()
        result = {}
        for line in data:
            if not line:
                continue
            text = line if isinstance(line, bytes) else line[0]
            uid = int(text.split(b"UID ")[1].split()[0].rstrip(b")"))
            result[uid] = text
        return result


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.raw, policy=policy.default)


class RecordingHandler:
    def __init__(self) -> None:
        self.received: list[ReceivedMail] = []
        self.refused_recipients: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refused_recipients:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(
            ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        )
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self) -> None:
        self.handler = RecordingHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpServer:
        self.controller.start()
        self.running = True
        return self

    def stop(self) -> None:
        if self.running:
            self.controller.stop()
            self.running = False

    @property
    def received(self) -> list[ReceivedMail]:
        return self.handler.received
