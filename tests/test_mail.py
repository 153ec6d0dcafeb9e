"""Email delivery (issue #5) against real SMTP servers on loopback, each message parsed back.

The servers come from smtp_servers.py (aiosmtpd on 127.0.0.1, a certificate made by the test).
Nothing here reaches the network, and retry back-off is a hundredth of a second.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import time
import zlib
from collections import Counter
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

import briefing
from briefing.errors import ConfigError, DeliveryError, InputError
from briefing.mail import (
    MAX_SUBJECT,
    EmailSettings,
    SendError,
    SmtpSettings,
    compose,
    deliver,
    load_settings,
    parse_address,
    send,
    subject_line,
)
from briefing.render import render
from briefing.report import report_from_dict, report_to_dict
from conftest import SEED, run_cli
from smtp_servers import Received, free_port, make_certificate, silent_server, smtp_server

DAY = dt.date(2023, 3, 30)
TITLE = "Зведення — Situation report"
ARTICLE = """Бахмут under fire

Russian forces shelled Бахмут overnight and attacked Ukrainian positions near Часів Яр, said commander \
Олександр Сирський. Artillery and drone strikes hit the front line as troops repelled assaults.

Foreign Minister Дмитро Кулеба met NATO allies in Brussels to discuss sanctions and peace talks, and the \
diplomats agreed on a joint statement.

Prime Minister Денис Шмигаль said the reconstruction of power plants, housing and bridges will need \
$14 billion in funding from the World Bank and donors.
"""
SECTIONS = ("battlefield", "diplomacy", "reconstruction")
PASSWORD = "correct-horse-Пароль-42"


@pytest.fixture(autouse=True)
def clean_mail_environment(monkeypatch):
    """The developer's own SMTP settings never leak into a test."""
    for name in list(os.environ):
        if name.startswith(("BRIEFING_SMTP_", "BRIEFING_EMAIL_")):
            monkeypatch.delenv(name)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> briefing.Report:
    """A report whose article names people and places in Cyrillic, in all three sections."""
    path = tmp_path_factory.mktemp("articles") / "bakhmut-uk.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    options = briefing.Options(title=TITLE, date=DAY, router="cues", backend="extractive")
    built = briefing.build_report(briefing.read_inputs([path]), options)
    assert [b.section.key for b in built.briefs] == list(SECTIONS)
    assert all(b.statements for b in built.briefs), "every section of the test article must get a statement"
    return built


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("tls"))


def settings(server=None, **smtp) -> EmailSettings:
    base = {"attempts": 3, "backoff": 0.01, "timeout": 5.0, "security": "none"}
    if server is not None:
        base.update(host=server.host, port=server.port)
    base.update(smtp)
    return EmailSettings(
        sender="Briefing Desk <briefing@example.org>",
        to=("Олена Ops <ops@example.org>",),
        cc=("desk@example.org",),
        bcc=("audit@example.org",),
        smtp=SmtpSettings(**base),
    )


def flat(text: str) -> str:
    return " ".join(text.split())


def check_message(
    received: Received, report: briefing.Report, *, to, cc=(), bcc=(), subject=None, names=("Олександр Сирський",)
) -> None:
    """What every delivered report must be: both parts, headers, envelope, UTF-8, all sections."""
    message = received.message
    assert sorted(received.rcpt_tos) == sorted([*to, *cc, *bcc])
    assert message["Bcc"] is None and not any(b in received.data.decode("ascii") for b in bcc)
    assert [a.addr_spec for a in message["To"].addresses] == list(to)
    assert [a.addr_spec for a in (message["Cc"].addresses if message["Cc"] else ())] == list(cc)
    for name in ("From", "Date", "Message-ID", "Subject"):
        assert message[name], f"missing {name}"
    assert message["Date"].datetime is not None
    assert "\n" not in str(message["Subject"])
    if subject is not None:
        assert str(message["Subject"]) == subject
    received.data.decode("ascii")  # 7-bit on the wire: every non-ASCII byte is encoded

    alternative = message if message.get_content_type() == "multipart/alternative" else next(
        part for part in message.walk() if part.get_content_type() == "multipart/alternative"
    )
    parts = [part.get_content_type() for part in alternative.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    text = alternative.get_body(("plain",)).get_content()
    page = alternative.get_body(("html",)).get_content()
    page_text = flat(html.unescape(re.sub(r"<[^>]+>", " ", page)))
    for name in names:
        assert name in flat(text) and name in page_text
    assert "зведення" in text.casefold() and "Зведення" in page_text
    for brief in report.briefs:
        assert brief.section.title.casefold() in text.casefold()
        assert brief.section.title in page_text
        assert flat(brief.statements[0].text) in flat(text)
        assert flat(brief.statements[0].text) in page_text


# --------------------------------------------------------------------------- servers


def test_plain_server_gets_text_and_html_with_bcc_only_in_the_envelope(report):
    with smtp_server() as server:
        delivery = send(compose(report, settings(server)), settings(server).smtp)
    assert len(server.messages) == 1
    received = server.messages[0]
    check_message(received, report, to=["ops@example.org"], cc=["desk@example.org"], bcc=["audit@example.org"])
    message = received.message
    assert received.mail_from == "briefing@example.org"
    assert message["From"].addresses[0].display_name == "Briefing Desk"
    assert message["To"].addresses[0].display_name == "Олена Ops"
    assert message["Message-ID"] == delivery.message_id
    assert message["Subject"] == subject_line(report)  # exactly, however it was folded
    assert delivery.attempts == 1 and "audit@example.org" in delivery.recipients


def test_starttls_with_a_self_signed_certificate_trusted_through_ca_file(report, cert):
    with smtp_server(tls=cert) as server:
        mail = settings(server, security="starttls", ca_file=cert.cert)
        send(compose(report, mail), mail.smtp)
    assert len(server.messages) == 1 and server.messages[0].tls
    check_message(server.messages[0], report, to=["ops@example.org"], cc=["desk@example.org"],
                  bcc=["audit@example.org"])


def test_self_signed_certificate_is_refused_by_default(report, cert):
    with smtp_server(tls=cert) as server:
        mail = settings(server, security="starttls")
        with pytest.raises(SendError) as caught:
            send(compose(report, mail), mail.smtp)
    assert caught.value.attempts == 1  # permanent: not retried
    assert "certificate" in str(caught.value) and "ca_file" in str(caught.value)
    assert server.messages == []


def test_implicit_tls_port_465_style(report, cert):
    with smtp_server(tls=cert, implicit_tls=True) as server:
        mail = settings(server, security="ssl", ca_file=cert.cert)
        send(compose(report, mail), mail.smtp)
    assert len(server.messages) == 1 and server.messages[0].tls


def test_starttls_is_never_silently_dropped(report):
    with smtp_server() as server:  # offers no STARTTLS
        mail = settings(server, security="starttls")
        with pytest.raises(SendError, match="does not offer STARTTLS") as caught:
            send(compose(report, mail), mail.smtp)
    assert caught.value.attempts == 1 and server.messages == []


def test_smtp_auth_after_starttls(report, cert, caplog):
    caplog.set_level(logging.DEBUG)
    with smtp_server(tls=cert, users={"desk": PASSWORD}) as server:
        mail = settings(server, security="starttls", ca_file=cert.cert, username="desk", password_env="DESK_PW")
        send(compose(report, mail), mail.smtp, environ={"DESK_PW": PASSWORD})
    assert [m.login for m in server.messages] == ["desk"]
    assert PASSWORD not in caplog.text


def test_rejected_login_fails_at_once_and_never_shows_the_password(report, cert, caplog):
    caplog.set_level(logging.DEBUG)
    with smtp_server(tls=cert, users={}) as server:
        mail = settings(server, security="starttls", ca_file=cert.cert, username="desk", password=PASSWORD)
        with pytest.raises(SendError) as caught:
            send(compose(report, mail), mail.smtp)
    error = caught.value
    assert error.attempts == 1 and server.messages == []
    assert "rejected the login for user 'desk'" in str(error) and "535" in str(error)
    shown = [str(error), repr(mail), repr(mail.smtp), caplog.text]
    assert not any(PASSWORD in text for text in shown)


def test_server_busy_twice_then_accepting_gets_one_message(report):
    with smtp_server(busy=2) as server:
        mail = settings(server, attempts=4)
        delivery = send(compose(report, mail), mail.smtp)
    assert delivery.attempts == 3 and server.handler.sessions == 3
    assert len(server.messages) == 1


def test_server_busy_beyond_the_retry_budget(report):
    with smtp_server(busy=10) as server:
        mail = settings(server, attempts=3)
        with pytest.raises(SendError) as caught:
            send(compose(report, mail), mail.smtp)
    assert caught.value.attempts == 3 and server.handler.sessions == 3
    assert "421" in str(caught.value) and "gave up after 3 attempts" in str(caught.value)
    assert server.messages == []


def test_refused_recipient_fails_at_once_and_says_who(report):
    with smtp_server(refuse={"desk@example.org"}) as server:
        mail = settings(server)
        with pytest.raises(SendError) as caught:
            send(compose(report, mail), mail.smtp)
    error = caught.value
    assert error.attempts == 1 and list(error.refused) == ["desk@example.org"]
    assert "desk@example.org" in str(error) and "550" in str(error)
    # the others got it exactly once, and the error says so
    assert len(server.messages) == 1
    assert sorted(server.messages[0].rcpt_tos) == ["audit@example.org", "ops@example.org"]
    assert "delivered to" in str(error)


def test_deferred_recipient_is_retried_alone_so_nobody_gets_two_copies(report):
    with smtp_server(defer={"desk@example.org": 1}) as server:
        mail = settings(server)
        delivery = send(compose(report, mail), mail.smtp)
    assert delivery.attempts == 2
    assert [sorted(m.rcpt_tos) for m in server.messages] == [
        ["audit@example.org", "ops@example.org"],
        ["desk@example.org"],
    ]
    assert server.messages[0].data == server.messages[1].data  # the same message, the same Message-ID


def test_unreachable_server_is_retried_then_named(report):
    port = free_port()
    mail = settings(host="127.0.0.1", port=port, attempts=3)
    started = time.monotonic()
    with pytest.raises(SendError) as caught:
        send(compose(report, mail), mail.smtp)
    assert time.monotonic() - started < 5
    assert caught.value.attempts == 3
    assert f"SMTP server 127.0.0.1:{port} unreachable: connection refused" in str(caught.value)
    assert isinstance(caught.value, DeliveryError) and caught.value.exit_code == 5


def test_silent_server_times_out_and_is_retried(report):
    with silent_server() as (host, port):
        mail = settings(host=host, port=port, attempts=2, timeout=0.3)
        with pytest.raises(SendError, match=r"no answer within 0.3s") as caught:
            send(compose(report, mail), mail.smtp)
    assert caught.value.attempts == 2


def test_back_off_doubles_between_attempts(report):
    waits: list[float] = []
    mail = settings(host="127.0.0.1", port=free_port(), attempts=4, backoff=0.5)
    with pytest.raises(SendError):
        send(compose(report, mail), mail.smtp, sleep=waits.append)
    assert waits == [0.5, 1.0, 2.0]


# --------------------------------------------------------------------------- the message


def test_article_text_cannot_inject_headers(report):
    data = report_to_dict(report)
    data["title"] = "Report\r\nBcc: spy@evil.example"
    data["key_points"][0]["text"] = "Kyiv\nX-Injected: yes\r\nBcc: spy@evil.example\u2028To: spy@evil.example"
    tampered = report_from_dict(data)
    with smtp_server() as server:
        mail = settings(server)
        send(compose(tampered, mail), mail.smtp)
    received = server.messages[0]
    assert "spy@evil.example" not in received.rcpt_tos
    header_block = received.data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    names = [line.split(":", 1)[0] for line in header_block.split("\r\n") if line and not line[0].isspace()]
    assert "Bcc" not in names and "X-Injected" not in names and names.count("To") == 1
    subject = str(received.message["Subject"])
    assert subject.startswith("Report Bcc: spy@evil.example — 2023-03-30: Kyiv X-Injected: yes Bcc:")


@pytest.mark.parametrize(
    "address", ["ops@example.org\r\nBcc: spy@evil.example", "ops@example.org\nX: y", "not-an-address", "a@b@c", ""]
)
def test_bad_recipient_addresses_are_refused_before_sending(address):
    with pytest.raises(ConfigError):
        parse_address(address)


def test_international_addresses(report):
    address = parse_address("Олена <olena@приклад.укр>")
    assert address.addr_spec == "olena@xn--80aikifvh.xn--j1amh" and address.display_name == "Олена"


def test_subject_default_template_and_cap(report):
    top = flat(report.key_points[0].statement.text)
    expected = f"{TITLE} — 2023-03-30: {top}"
    subject = subject_line(report)
    assert len(subject) <= MAX_SUBJECT
    assert subject == expected if len(expected) <= MAX_SUBJECT else subject.endswith("…")
    assert expected.startswith(subject[:-1].rstrip())
    long = report_from_dict({**report_to_dict(report), "title": "Very long title " * 20})
    assert len(subject_line(long)) <= MAX_SUBJECT and "\n" not in subject_line(long)
    assert subject_line(report, "Sitrep {{ date }} ({{ sources }} source)") == "Sitrep 2023-03-30 (1 source)"
    with pytest.raises(ConfigError, match="subject"):
        subject_line(report, "{{ weather }}")
    with pytest.raises(ConfigError):
        subject_line(report, "{{ ''.__class__.__mro__ }}")  # sandboxed


@pytest.mark.parametrize(
    "title",
    [
        "Situation report — 2026-11-26: “The enemy is using its most professional units there and "
        "resorting to a significant…",
        "Зведення — Ситуаційний звіт: Міністр закордонних справ Дмитро Кулеба зустрівся з союзниками з НАТО",
        "Plain ASCII subject that is long enough to be folded by the email package at least once, surely",
    ],
)
def test_subject_survives_folding_exactly(report, title):
    mail = dataclasses.replace(settings(host="127.0.0.1"), subject="{{ title }}")
    raw = compose(report_from_dict({**report_to_dict(report), "title": title}), mail).as_bytes()
    header = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert all(len(line) <= 78 for line in header.split("\r\n"))
    assert all(len(word) <= 75 for word in re.findall(r"=\?[^?]+\?[qbQB]\?[^?]*\?=", header))
    assert BytesParser(policy=policy.default).parsebytes(raw)["Subject"] == title


def test_html_part_has_inlined_css_and_no_external_resources(report):
    message = compose(report, settings(host="127.0.0.1")).message
    page = message.get_body(("html",)).get_content()
    assert re.search(r"<h1[^>]* style=\"[^\"]*color", page), "the heading's style must be inlined"
    assert len(re.findall(r' style="', page)) > 10
    assert not re.search(r"<script|<link|<iframe|\ssrc=\"(?!data:|cid:)|@import", page, re.I)


def test_a_template_with_external_images_or_scripts_is_refused(report, tmp_path):
    from briefing.resources import data_path

    original = (data_path("templates") / "report.html.j2").read_text(encoding="utf-8")
    (tmp_path / "report.html.j2").write_text(
        original.replace("<body", '<img src="https://tracker.example/p.gif"><body', 1), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="not self-contained"):
        compose(report, settings(host="127.0.0.1"), templates_dir=tmp_path)


def test_attachments_reply_to_and_list_unsubscribe(report):
    mail = dataclasses.replace(
        settings(host="127.0.0.1"),
        reply_to="Desk <desk@example.org>",
        list_unsubscribe=("mailto:unsubscribe@example.org", "https://example.org/unsubscribe?list=daily"),
    )
    with smtp_server() as server:
        mail = dataclasses.replace(mail, smtp=dataclasses.replace(mail.smtp, host=server.host, port=server.port))
        send(compose(report, mail, attach=["md", "json", "html"]), mail.smtp)
    received = server.messages[0]
    message = received.message
    assert message.get_content_type() == "multipart/mixed"
    check_message(received, report, to=["ops@example.org"], cc=["desk@example.org"], bcc=["audit@example.org"])
    assert message["Reply-To"].addresses[0].addr_spec == "desk@example.org"
    assert str(message["List-Unsubscribe"]) == (
        "<mailto:unsubscribe@example.org>, <https://example.org/unsubscribe?list=daily>"
    )
    files = {part.get_filename(): part for part in message.iter_attachments()}
    assert sorted(files) == [f"2023-03-30-situation-report.{ext}" for ext in ("html", "json", "md")]
    by_type = {part.get_content_type(): part for part in files.values()}
    assert set(by_type) == {"text/markdown", "application/json", "text/html"}
    assert json.loads(by_type["application/json"].get_content()) == report_to_dict(report)
    assert by_type["text/markdown"].get_content() == render(report, "md")


def test_bad_list_unsubscribe_is_a_config_error(report):
    mail = dataclasses.replace(settings(host="127.0.0.1"), list_unsubscribe=("javascript:alert(1)",))
    with pytest.raises(ConfigError, match="list_unsubscribe"):
        compose(report, mail)


def test_dry_run_writes_the_exact_message(report, tmp_path):
    with smtp_server() as server:
        delivery = deliver(report, settings(server), dry_run=tmp_path / "out.eml")
    assert server.messages == [] and delivery.eml == tmp_path / "out.eml"
    raw = delivery.eml.read_bytes()
    received = Received("briefing@example.org", list(delivery.recipients), raw, False, None)
    check_message(received, report, to=["ops@example.org"], cc=["desk@example.org"], bcc=["audit@example.org"])


def test_report_from_dict_round_trips_and_renders_the_same(report):
    data = report_to_dict(report)
    rebuilt = report_from_dict(json.loads(json.dumps(data)))
    assert report_to_dict(rebuilt) == data
    for fmt in ("md", "txt", "html"):
        assert render(rebuilt, fmt) == render(report, fmt)
    with pytest.raises(InputError, match="not a briefing report"):
        report_from_dict({"title": "x"})


# --------------------------------------------------------------------------- settings


def test_settings_from_config_then_environment(tmp_path):
    config = {
        "smtp": {"host": "mail.example.org", "port": 2525, "security": "STARTTLS", "username": "desk",
                 "password_file": "secrets/smtp", "ca_file": "/etc/ssl/private-ca.pem", "attempts": 5},
        "email": {"from": "Desk <desk@example.org>", "to": ["a@example.org", "b@example.org"],
                  "subject": "Sitrep {{ date }}"},
    }
    env = {"BRIEFING_SMTP_PORT": "587", "BRIEFING_EMAIL_CC": "c@example.org, d@example.org",
           "BRIEFING_SMTP_PASSWORD_ENV": "DESK_PW", "UNRELATED": "x"}
    loaded = load_settings(config, env, base=tmp_path)
    assert loaded.smtp.host == "mail.example.org" and loaded.smtp.port == 587  # environment wins
    assert loaded.smtp.security == "starttls" and loaded.smtp.attempts == 5
    assert loaded.smtp.password_file == tmp_path / "secrets" / "smtp"  # relative to the config file
    assert loaded.smtp.ca_file == Path("/etc/ssl/private-ca.pem")
    assert loaded.smtp.password_env == "DESK_PW"
    assert loaded.sender == "Desk <desk@example.org>" and loaded.to == ("a@example.org", "b@example.org")
    assert loaded.cc == ("c@example.org", "d@example.org") and loaded.subject == "Sitrep {{ date }}"
    assert load_settings({}, {}).smtp == SmtpSettings()


@pytest.mark.parametrize(
    "config, message",
    [
        ({"smtp": {"password": "hunter2"}}, "cannot be written in the config"),
        ({"smtp": {"hots": "x"}}, "smtp.hots: unknown setting"),
        ({"smtp": {"port": "many"}}, "smtp.port: cannot read"),
        ({"email": {"to": [1, 2]}}, "email.to: cannot read"),
    ],
)
def test_bad_settings_name_the_key(config, message):
    with pytest.raises(ConfigError, match=message) as caught:
        load_settings(config, {})
    assert "hunter2" not in str(caught.value)


def test_password_sources_in_order(tmp_path):
    secret_file = tmp_path / "pw"
    secret_file.write_text("from-file\n", encoding="utf-8")
    smtp = SmtpSettings(host="h", username="u", password_env="DESK_PW", password_file=secret_file)
    assert smtp.resolve_password({"DESK_PW": "from-env"}) == "from-env"
    assert smtp.resolve_password({}) == "from-file"
    assert dataclasses.replace(smtp, password="explicit").resolve_password({"DESK_PW": "x"}) == "explicit"
    assert load_settings({}, {"BRIEFING_SMTP_PASSWORD": "direct"}).smtp.password == "direct"
    with pytest.raises(ConfigError, match="no password was found"):
        SmtpSettings(host="h", username="u", password_env="NOPE").resolve_password({})
    assert "explicit" not in repr(dataclasses.replace(smtp, password="explicit"))


def test_settings_that_cannot_work_fail_before_connecting():
    with pytest.raises(ConfigError, match="no SMTP server set"):
        SmtpSettings().validate()
    with pytest.raises(ConfigError, match="without TLS"):
        SmtpSettings(host="mail.example.org", security="none", username="u").validate()
    with pytest.raises(ConfigError, match="unknown SMTP security"):
        SmtpSettings(host="mail.example.org", security="tls").validate()
    SmtpSettings(host="127.0.0.1", security="none", username="u").validate()  # loopback relay is fine


# --------------------------------------------------------------------------- the command line


def test_cli_generate_email_to_writes_the_report_then_delivers(report, tmp_path):
    out = tmp_path / "out"
    with smtp_server() as server:
        result = run_cli("generate", str(SEED), "--router", "cues", "--date", "2023-03-30", "--out", str(out),
                         "--title", TITLE, "--email-to", "ops@example.org", "--email-bcc", "audit@example.org",
                         env=server.env())
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "2023-03-30-situation-report.json", "2023-03-30-situation-report.md"
    ]
    assert len(server.messages) == 1
    built = briefing.mail.read_report(out / "2023-03-30-situation-report.json")
    check_message(server.messages[0], built, to=["ops@example.org"], bcc=["audit@example.org"],
                  names=("Oleksii Reznikov",))
    assert "sent <" in result.stderr
    assert server.messages[0].message["Subject"] == subject_line(built)


def test_cli_generate_without_out_uses_reports_folder_and_dry_run_sends_nothing(tmp_path):
    with smtp_server() as server:
        result = run_cli("generate", str(SEED), "--router", "cues", "--date", "2023-03-30", "--title", TITLE,
                         "--email-to", "ops@example.org", "--dry-run", "--attach", "md", cwd=tmp_path,
                         env=server.env())
    assert result.returncode == 0, result.stderr
    assert server.messages == []
    folder = tmp_path / "reports"
    assert str(folder) in result.stderr and "nothing was sent" in result.stderr
    eml = folder / "2023-03-30-situation-report.eml"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["2023-03-30-situation-report.md", "2023-03-30-situation-report.json", eml.name]
    )
    built = briefing.mail.read_report(folder / "2023-03-30-situation-report.json")
    message = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    assert message.get_content_type() == "multipart/mixed"
    check_message(Received("", ["ops@example.org"], eml.read_bytes(), False, None), built, to=["ops@example.org"],
                  names=("Oleksii Reznikov",))


def test_cli_no_server_listening_fails_in_budget_and_keeps_the_report(tmp_path):
    port = free_port()
    env = {"BRIEFING_SMTP_HOST": "127.0.0.1", "BRIEFING_SMTP_PORT": str(port), "BRIEFING_SMTP_SECURITY": "none",
           "BRIEFING_SMTP_ATTEMPTS": "3", "BRIEFING_SMTP_BACKOFF": "0.01"}
    started = time.monotonic()
    result = run_cli("generate", str(SEED), "--router", "cues", "--date", "2023-03-30", "--email-to",
                     "ops@example.org", "--out", str(tmp_path), env=env)
    assert time.monotonic() - started < 30
    assert result.returncode == 5
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("briefing: error: SMTP server 127.0.0.1:") and "unreachable" in last
    assert "Traceback" not in result.stderr
    saved = tmp_path / "2023-03-30-situation-report.json"
    assert saved.is_file() and (tmp_path / "2023-03-30-situation-report.md").is_file()
    assert f"briefing send {saved}" in last


def test_cli_send_a_built_report(report, tmp_path):
    built = briefing.write_reports(report, ["json"], tmp_path)[0]
    with smtp_server() as server:
        result = run_cli("send", str(built), "--to", "ops@example.org,Олена <olena@example.org>", "--cc",
                         "desk@example.org", "--bcc", "audit@example.org", "--subject", "Sitrep {{ date }}",
                         "--attach", "json", env=server.env())
    assert result.returncode == 0, result.stderr
    check_message(server.messages[0], report, to=["ops@example.org", "olena@example.org"], cc=["desk@example.org"],
                  bcc=["audit@example.org"], subject="Sitrep 2023-03-30")


def test_cli_missing_server_setting_is_one_line(report, tmp_path):
    built = briefing.write_reports(report, ["json"], tmp_path)[0]
    result = run_cli("send", str(built), "--to", "ops@example.org")
    assert result.returncode == 3
    assert result.stderr.strip().count("\n") == 0
    assert "no SMTP server set" in result.stderr and "BRIEFING_SMTP_HOST" in result.stderr


def test_cli_wrong_password_from_a_config_file_is_never_printed(report, cert, tmp_path):
    built = briefing.write_reports(report, ["json"], tmp_path)[0]
    (tmp_path / "smtp-password").write_text(PASSWORD + "\n", encoding="utf-8")
    shutil.copy(cert.cert, tmp_path / "ca.pem")
    with smtp_server(tls=cert, users={"desk": "something-else"}) as server:
        (tmp_path / "briefing.toml").write_text(
            f'[smtp]\nhost = "{server.host}"\nport = {server.port}\nsecurity = "starttls"\nusername = "desk"\n'
            'password_file = "smtp-password"\nca_file = "ca.pem"\nbackoff = 0.01\n\n'
            '[email]\nto = ["ops@example.org"]\nfrom = "briefing@example.org"\n',
            encoding="utf-8",
        )
        result = run_cli("-v", "send", str(built), "--config", str(tmp_path / "briefing.toml"))
    assert result.returncode == 5
    assert PASSWORD not in result.stderr and PASSWORD not in result.stdout
    assert "rejected the login for user 'desk'" in result.stderr.strip().splitlines()[-1]
    assert server.messages == []


def test_cli_email_options_need_email_to():
    result = run_cli("generate", str(SEED), "--router", "cues", "--subject", "x")
    assert result.returncode == 3 and "need --email-to" in result.stderr


def test_cli_send_rejects_a_file_that_is_not_a_report(tmp_path):
    (tmp_path / "x.json").write_text('{"hello": 1}', encoding="utf-8")
    result = run_cli("send", str(tmp_path / "x.json"), "--to", "ops@example.org")
    assert result.returncode == 2 and "not a briefing report" in result.stderr


# --------------------------------------------------------------------------- what a person sees


CHROMIUM = shutil.which("chromium")


def _png_colours(data: bytes) -> Counter:
    """How many pixels of each RGB colour an 8-bit, non-interlaced RGB or RGBA PNG has (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, width = 8, [], 0
    channels = 0
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, depth, colour = int.from_bytes(body[:4], "big"), body[8], body[9]
            assert depth == 8 and colour in (2, 6) and body[12] == 0
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    raw, stride = zlib.decompress(b"".join(chunks)), width * channels
    previous, colours = bytearray(stride), Counter()
    for offset in range(0, len(raw), stride + 1):
        kind, line = raw[offset], bytearray(raw[offset + 1 : offset + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        colours.update(tuple(line[i : i + 3]) for i in range(0, stride, channels))
        previous = line
    return colours


def _screenshot(page: Path, folder: Path) -> Counter:
    shot = folder / f"{page.stem}.png"
    profile = tempfile.mkdtemp(dir=folder)
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--window-size=900,1400", "--hide-scrollbars",
         f"--screenshot={shot}", page.as_uri()],
        check=True, capture_output=True, timeout=60,
    )
    return _png_colours(shot.read_bytes())


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_html_part_is_styled_in_chromium_even_when_a_client_drops_style_tags(report, tmp_path):
    """The delivered HTML part, opened in a browser with its <style> block removed (as some mail
    clients do), still shows the template's colours: the styling lives in style attributes."""
    with smtp_server() as server:
        mail = settings(server)
        send(compose(report, mail), mail.smtp)
    page = server.messages[0].message.get_body(("html",)).get_content()
    stripped = re.sub(r"<style\b.*?</style>", "", page, flags=re.S | re.I)
    bare = re.sub(r'\s(style|class)="[^"]*"', "", stripped)
    for name, text in (("styled", stripped), ("bare", bare)):
        (tmp_path / f"{name}.html").write_text(text, encoding="utf-8")
    styled = _screenshot(tmp_path / "styled.html", tmp_path)
    unstyled = _screenshot(tmp_path / "bare.html", tmp_path)
    declared = {
        tuple(int(h[i : i + 2], 16) for i in (0, 2, 4))
        for h in re.findall(r"(?:background|border[\w-]*)\s*:[^;\"]*#([0-9a-f]{6})\b", stripped, re.I)
    } - {(255, 255, 255), (0, 0, 0)}  # a browser's own defaults prove nothing
    assert len(declared) >= 2, "the HTML part should declare background and border colours inline"
    shown = {colour for colour in declared if styled[colour] >= 1000}  # areas and rules, not anti-aliasing
    assert len(shown) >= 2, f"the styled page shows too few of the declared colours {declared}"
    assert all(unstyled[colour] < 100 for colour in shown), "the colours must come from the inlined styles"
