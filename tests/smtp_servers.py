"""Real SMTP servers on loopback for the mail tests (aiosmtpd), and a certificate the test makes.

Every server listens on 127.0.0.1 on a free port the kernel picks, records what it receives, and
stops when its ``with`` block ends:

    with smtp_server() as server:            # plain
    with smtp_server(tls=cert) as server:    # STARTTLS required (cert from make_certificate)
    with smtp_server(tls=cert, implicit_tls=True)   # TLS from the first byte (port-465 style)
    with smtp_server(tls=cert, users={"desk": "pw"})  # AUTH required, after STARTTLS
    with smtp_server(tls=cert, users={})     # AUTH required, and every login is rejected
    with smtp_server(busy=2)                 # answers 421 to the first two sessions, then accepts
    with smtp_server(refuse={"x@example.org"})  # 550 for that recipient
    with smtp_server(defer={"x@example.org": 1})  # 450 for that recipient, once
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Iterator

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost, and its key, as PEM files."""

    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_certificate(folder: Path, name: str = "smtp") -> Certificate:
    """A fresh self-signed certificate (EC P-256, one day) whose SAN names the loopback server."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"briefing test {name}")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=False, content_commitment=False,
                key_encipherment=False, data_encipherment=False, key_agreement=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / f"{name}.crt", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return Certificate(cert_path, key_path)


@dataclass
class Received:
    """One message the server accepted: its envelope, its bytes, and how the session looked."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    tls: bool
    login: str | None

    @property
    def message(self) -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(self.data)


@dataclass
class Recorder:
    """The aiosmtpd handler: records messages, and can be busy (421) or refuse recipients (550)."""

    busy: int = 0
    refuse: set[str] = field(default_factory=set)
    defer: dict[str, int] = field(default_factory=dict)  # address: how many times to answer 450
    messages: list[Received] = field(default_factory=list)
    sessions: int = 0  # MAIL commands seen, i.e. delivery attempts that got that far
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        with self.lock:
            self.sessions += 1
            if self.busy > 0:
                self.busy -= 1
                return "421 4.3.2 Service busy, try again later"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: recipient unknown"
        with self.lock:
            if self.defer.get(address, 0) > 0:
                self.defer[address] -= 1
                return f"450 4.2.1 <{address}>: mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        tls = server.transport.get_extra_info("ssl_object") is not None
        with self.lock:
            self.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content), tls, login)
            )
        return "250 2.0.0 OK queued"


class _Controller(Controller):
    """Listens on port 0 and learns the port the kernel chose before its readiness probe."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class Server:
    host: str
    port: int
    handler: Recorder

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def env(self, security: str = "none") -> dict[str, str]:
        """BRIEFING_SMTP_* variables that point the CLI at this server, with a tiny back-off."""
        return {
            "BRIEFING_SMTP_HOST": self.host,
            "BRIEFING_SMTP_PORT": str(self.port),
            "BRIEFING_SMTP_SECURITY": security,
            "BRIEFING_SMTP_BACKOFF": "0.01",
            "BRIEFING_SMTP_TIMEOUT": "5",
        }


@contextmanager
def smtp_server(
    *,
    tls: Certificate | None = None,
    implicit_tls: bool = False,
    users: dict[str, str] | None = None,
    busy: int = 0,
    refuse: set[str] | frozenset[str] = frozenset(),
    defer: dict[str, int] | None = None,
) -> Iterator[Server]:
    """A real SMTP server on 127.0.0.1. ``users`` (a dict, even empty) turns on required AUTH."""
    handler = Recorder(busy=busy, refuse=set(refuse), defer=dict(defer or {}))
    kwargs: dict = {"hostname": HOST, "port": 0, "server_hostname": "localhost", "ready_timeout": 5.0}
    if tls is not None and implicit_tls:
        kwargs["ssl_context"] = tls.server_context()
    elif tls is not None:
        kwargs.update(tls_context=tls.server_context(), require_starttls=True)
    if users is not None:

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (
                isinstance(auth_data, LoginPassword)
                and users.get(auth_data.login.decode()) == auth_data.password.decode()
            )
            return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

        kwargs.update(authenticator=authenticator, auth_required=True)
    controller = _Controller(handler, **kwargs)
    controller.start()
    try:
        yield Server(HOST, controller.port, handler)
    finally:
        controller.stop()


@contextmanager
def silent_server() -> Iterator[tuple[str, int]]:
    """A port that accepts TCP connections and never says a word: every SMTP client times out."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((HOST, 0))
    listener.listen(16)
    try:
        yield HOST, listener.getsockname()[1]
    finally:
        listener.close()


def free_port() -> int:
    """A loopback port with nothing listening on it (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]
