"""Inputs that cannot be used: the real CLI says what is wrong on one line, exits non-zero, writes nothing."""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from conftest import run_cli


def png_bytes() -> bytes:
    """A valid 1x1 PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def zip_bytes(tmp_path: Path) -> bytes:
    target = tmp_path / "made.zip"
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("article.txt", "Kyiv said on Thursday that two bridges had been repaired.")
    return target.read_bytes()


def make_input(tmp_path: Path, case: str) -> str:
    """Create the bad input named ``case``; return the argument to pass to the CLI."""
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    files = {
        "empty": ("empty.txt", b""),
        "whitespace": ("blank.txt", b"  \n\n\t \r\n  \n"),
        "png-as-txt": ("photo.txt", png_bytes()),
        "zip-as-txt": ("archive.txt", zip_bytes(tmp_path)),
        "undecodable": ("odd.txt", b"\x81\x8d\x8f\x90\x9d\x01\x02\x03" * 8),
        "invalid-json": ("bad.json", b'{"title": "Kherson", "text": "Shelling"'),
        "invalid-jsonl": ("bad.jsonl", b'{"title": "a", "text": "Kyiv was quiet."}\n{"title": \n'),
        "json-without-text": ("notext.json", b'{"title": "Kherson shelled", "source": "Example"}'),
        "json-list-of-strings": ("strings.json", b'["Kherson was shelled on Tuesday."]'),
        "unsupported": ("report.docx", b"PK\x03\x04 not really a document"),
        "png": ("photo.png", png_bytes()),
        "html-without-article": ("nav.html", b"<html><body><nav><a href='/'>Home</a></nav></body></html>"),
        "permission": ("secret.txt", b"Kyiv said on Thursday that two bridges had been repaired."),
    }
    if case == "missing":
        return str(inputs / "nowhere.txt")
    if case == "empty-folder":
        (inputs / "notes.csv").write_text("a,b\n")
        return str(inputs)
    if case == "too-large":
        big = inputs / "big.txt"
        big.write_bytes(b"Kyiv was quiet overnight. " * 50_000)  # about 1.3 MB
        return str(big)
    name, data = files[case]
    path = inputs / name
    path.write_bytes(data)
    if case == "permission":
        path.chmod(0)
    return str(path)


CASES = {
    "missing": "no such file or folder",
    "empty": "the file is empty",
    "whitespace": "only blank space",
    "png-as-txt": "a PNG image, not text",
    "zip-as-txt": "a zip archive",
    "undecodable": "cannot decode the text",
    "invalid-json": "not valid JSON",
    "invalid-jsonl": "not valid JSON or JSON Lines",
    "json-without-text": "record 1 has no article text",
    "json-list-of-strings": "record 1 is not an object",
    "unsupported": "unsupported file type '.docx'",
    "png": "unsupported file type '.png'",
    "empty-folder": "no supported article files in this folder",
    "too-large": "larger than the 1 MB limit",
    "html-without-article": "no article text found in the HTML",
    "permission": "permission denied",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_line_error_and_no_output(tmp_path, case):
    if case == "permission" and os.geteuid() == 0:
        pytest.skip("root reads files whatever their permissions")
    argument = make_input(tmp_path, case)
    out = tmp_path / "out"
    result = run_cli(
        "generate", argument, "--router", "cues", "--format", "md", "--format", "txt",
        "--out", str(out), "--max-input-size", "1MB",
    )
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("briefing: error: "), lines[0]
    assert CASES[case] in lines[0]
    assert "(" in lines[0] and lines[0].endswith(")"), "the message says what to do"
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not out.exists() or not any(out.iterdir())


def test_empty_stdin_is_an_error(tmp_path):
    result = run_cli("generate", "-", "--router", "cues", "--out", str(tmp_path / "out"), input=b"")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "briefing: error: stdin: the file is empty (0 bytes) (give a file with article text)"
    ]
    assert not (tmp_path / "out").exists()
