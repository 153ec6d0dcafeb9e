"""Reading articles: text with headers, Markdown, HTML pages, JSON, folders, stdin, encodings."""

from __future__ import annotations

import datetime as dt
import io
import logging
import shutil

import pytest

from briefing.articles import (
    decode_bytes,
    make_article,
    read_html_article,
    read_inputs,
    read_path,
)
from briefing.errors import InputError
from briefing.text import split_article
from conftest import DATA, SEED, corpus_articles, needs_corpus

INPUTS = DATA / "inputs"


# --- text and Markdown -------------------------------------------------------------------------


def test_key_value_header_gives_the_metadata_and_is_not_body():
    [a] = read_path(INPUTS / "header.txt")
    assert a.title == "Grain ships leave Odesa after a four-day pause"
    assert (a.source, a.date, a.url) == ("Example Wire", dt.date(2023, 7, 12), "https://wire.example/odesa-grain")
    assert a.paragraphs == [
        "Three grain ships left the port of Odesa on Tuesday, the ministry said.",
        "Insurers said premiums for the route had risen again this week.",
    ]


def test_front_matter_with_lists_and_markdown_markup():
    [a] = read_path(INPUTS / "front-matter.md")
    assert (a.title, a.source, a.date) == ("Power restored in Kharkiv", "Example Herald", dt.date(2024, 3, 2))
    assert a.url == "https://herald.example/kharkiv-power"
    assert a.paragraphs == [
        "Engineers restored electricity to most districts of Kharkiv on Saturday.",
        "The metro ran on backup power for six hours, the city said.",
    ]


def test_markdown_heading_is_the_title_and_wrapped_lines_are_joined():
    [a] = read_path(INPUTS / "heading.md")
    assert a.title == "Ceasefire talks resume in Geneva"
    assert a.paragraphs[0] == (
        "Delegations from both sides arrived in Geneva on Monday for a third round of talks, "
        "the Swiss foreign ministry said in a statement released late in the evening."
    )
    assert "What is on the table" in a.paragraphs and "#" not in a.text


def test_seed_title_comes_from_its_first_line():
    [a] = read_path(SEED)
    assert a.title == "Ukraine Reports Unrelenting Russian Attacks on Key City of Bakhmut"
    assert not a.text.startswith(a.title)


def test_lines_copied_from_a_web_page_become_paragraphs():
    text = (
        "Kyiv said on Thursday that two bridges had been repaired and reopened to traffic.\n"
        "Engineers worked through the night to finish the job before the morning rush hour, "
        "the mayor said in a statement posted on Telegram.\n"
        "Officials did not say how much the repairs had cost the city."
    )
    a = make_article(text, title="Bridges")
    assert len(a.paragraphs) == 3


def test_a_first_paragraph_repeating_the_title_is_dropped():
    a = make_article("Bridges reopen in Kyiv\n\nTraffic resumed on Thursday.", title="Bridges reopen in Kyiv")
    assert a.paragraphs == ["Traffic resumed on Thursday."]


# --- HTML --------------------------------------------------------------------------------------


def test_html_page_is_reduced_to_the_article():
    [a] = read_path(INPUTS / "page.html")
    assert a.title == "Grid repairs resume in Kharkiv after overnight strikes"
    assert a.source == "Example Herald"
    assert a.date == dt.date(2024, 3, 2)
    assert a.url == "https://herald.example/world/2024/03/02/grid-repairs-kharkiv"
    assert a.paragraphs[0].startswith("Engineers restored electricity to most districts of Kharkiv")
    assert "Officials in the region said no one was hurt" in a.text
    assert "“The damage is serious but it can be repaired.”" in a.text
    for junk in (
        "INLINE_SCRIPT_IN_BODY", "AD_SLOT_TEXT", "TRACKING_SNIPPET_HEAD", "FOOTER_SCRIPT_TEXT", "document.write",
        "cookies", "Subscribe today", "Related stories", "Winter storm closes", "All rights reserved",
        "Privacy policy", "Business",
    ):
        assert junk not in a.text, junk


def test_html_article_splits_into_body_sentences():
    [a] = read_path(INPUTS / "page.html")
    sentences = split_article(a)
    assert sentences[0].text.startswith("Engineers restored electricity")
    assert all(s.is_body for s in sentences)


def test_an_html_page_with_no_article_is_refused():
    with pytest.raises(InputError, match="no article text found in the HTML"):
        read_html_article("<html><body><nav><a href='/'>Home</a></nav></body></html>", path="nav.html")


# --- JSON --------------------------------------------------------------------------------------


def test_json_lines_with_html_body_and_outlet_object():
    first, second = read_path(INPUTS / "articles.jsonl")
    assert (first.title, first.source, first.url, first.date) == (
        "Drones hit Odesa port", "Example Wire", "https://wire.example/1", dt.date(2023, 7, 19),
    )
    assert first.paragraphs == [
        "Russian drones hit grain silos in Odesa overnight, the governor said.",
        "No one was hurt.",
    ]
    assert (second.title, second.source, second.date) == ("Aid package approved", "Example Daily", dt.date(2024, 4, 23))
    assert second.paragraphs == ["The Senate approved a $61 billion aid package on Tuesday.", "The vote was 79 to 18."]
    assert first.path.endswith("articles.jsonl#1") and second.path.endswith("articles.jsonl#2")


def test_json_object_holding_a_list_of_articles():
    articles = read_path(INPUTS / "article.json")
    assert [a.title for a in articles] == ["Kherson shelled", "Kyiv blackout ends"]
    assert articles[0].url == "https://wire.example/2"


# --- encodings ---------------------------------------------------------------------------------


def test_windows_1252_with_curly_quotes_decodes():
    [a] = read_path(INPUTS / "cp1252.txt")
    assert a.title == "Bridges repaired in Kyiv"
    assert "“two bridges”" in a.text and "– and traffic" in a.text and "city’s mayor" in a.text


@pytest.mark.parametrize("name", ["utf16.txt", "utf8-bom.txt"])
def test_unicode_with_a_byte_order_mark_decodes(name):
    [a] = read_path(INPUTS / name)
    assert a.title == "Bridges repaired in Kyiv"
    assert "\ufeff" not in a.text and "“two bridges”" in a.text


def test_utf16_without_a_byte_order_mark_decodes():
    text = "Kyiv said on Thursday that two bridges had been repaired."
    assert decode_bytes(text.encode("utf-16-le"), "x") == text


@pytest.mark.parametrize("name", ["koi8r.txt", "cp1251.txt"])
def test_cyrillic_in_a_legacy_encoding_is_detected(name):
    [a] = read_path(INPUTS / name)
    assert a.title == "Мост восстановлен"
    assert a.paragraphs[0].startswith("Власти Киева заявили в четверг")


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "the file is empty"),
        (b"  \n\t\n ", "only blank space"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
        (b"PK\x03\x04\x14\x00\x00\x00", "a zip archive"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF document"),
        (b"ab\x00cd\x00\x01\x02" * 20, "binary"),
        (b"\x81\x8d\x8f\x90\x9d\x01\x02\x03" * 4, "cannot decode"),
    ],
)
def test_bytes_that_are_not_text_are_refused(data, message):
    with pytest.raises(InputError, match=message):
        decode_bytes(data, "input")


# --- folders, stdin, limits --------------------------------------------------------------------


def test_folder_reads_supported_files_in_order_and_skips_others(tmp_path):
    (tmp_path / "b").mkdir()
    shutil.copy(INPUTS / "header.txt", tmp_path / "b" / "2.txt")
    shutil.copy(INPUTS / "heading.md", tmp_path / "1.md")
    shutil.copy(INPUTS / "header.txt", tmp_path / "1.summary.txt")
    (tmp_path / ".hidden.txt").write_text("Hidden text that must not be read at all.")
    (tmp_path / "notes.csv").write_text("a,b\n1,2\n")
    (tmp_path / "README.md").write_text("# Readme\n\nNot an article.")
    articles = read_inputs([tmp_path])
    assert [a.title for a in articles] == [
        "Ceasefire talks resume in Geneva",
        "Grain ships leave Odesa after a four-day pause",
    ]


def test_folder_skips_a_broken_file_with_a_warning(tmp_path, caplog):
    shutil.copy(INPUTS / "header.txt", tmp_path / "good.txt")
    (tmp_path / "empty.txt").write_bytes(b"")
    with caplog.at_level(logging.WARNING, logger="briefing.articles"):
        articles = read_inputs([tmp_path])
    assert [a.title for a in articles] == ["Grain ships leave Odesa after a four-day pause"]
    assert "empty.txt" in caplog.text and "empty" in caplog.text


def test_folder_with_only_broken_files_is_refused(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_bytes(b"\n\n")
    with pytest.raises(InputError, match="none of its 2 article file"):
        read_inputs([tmp_path])


def test_stdin_is_read_and_its_kind_sniffed():
    html = (INPUTS / "page.html").read_bytes()
    [a] = read_inputs(["-"], stdin=io.BytesIO(html))
    assert a.title == "Grid repairs resume in Kharkiv after overnight strikes" and a.path == "stdin"
    [b] = read_inputs(["-"], stdin=io.BytesIO(b'{"title": "T", "text": "Kyiv was quiet overnight."}'))
    assert (b.title, b.text) == ("T", "Kyiv was quiet overnight.")


def test_the_same_article_twice_is_kept_once(tmp_path):
    shutil.copy(INPUTS / "header.txt", tmp_path / "copy.txt")
    assert len(read_inputs([INPUTS / "header.txt", tmp_path / "copy.txt"])) == 1


class CountingStream(io.RawIOBase):
    """An endless stream of text that counts what was read from it."""

    def __init__(self):
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        buffer[:] = b"a" * len(buffer)
        self.served += len(buffer)
        return len(buffer)


def test_an_input_over_the_limit_is_refused_without_reading_it_all():
    stream = CountingStream()
    with pytest.raises(InputError, match="larger than the 1 KB limit"):
        read_inputs(["-"], stdin=io.BufferedReader(stream, buffer_size=512), max_bytes=1024)
    assert stream.served <= 2048


def test_a_huge_file_is_refused_before_it_is_read(tmp_path):
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as handle:
        handle.truncate(20 * 1024**3)  # sparse: 20 GB that take no disk
    with pytest.raises(InputError, match="larger than the 5 MB limit"):
        read_inputs([huge])


# --- the corpus --------------------------------------------------------------------------------


@needs_corpus
def test_corpus_headers_are_read():
    for path in corpus_articles():
        [a] = read_path(path)
        assert a.title and a.source and a.date, path.name
        assert not a.text.startswith(("title:", "source:")), path.name
        assert "origin:" not in a.text.split("\n\n")[0], path.name


def test_a_file_that_cannot_be_opened_is_an_input_error(tmp_path, monkeypatch):
    path = tmp_path / "secret.txt"
    path.write_text("Kyiv said on Thursday that two bridges had been repaired.")

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(type(path), "open", refuse)  # as root the real chmod cannot refuse
    with pytest.raises(InputError, match="secret.txt: permission denied"):
        read_path(path)


def test_hard_wrapped_text_is_joined_and_short_lines_end_paragraphs():
    text = (
        "Talks resume\n"
        "Delegations from both sides arrived in Geneva on Monday for a third round of talks,\n"
        "the Swiss foreign ministry said in a statement released late in the evening.\n"
        "- A prisoner exchange is on the agenda.\n"
        "- So is the nuclear plant."
    )
    assert make_article(text, title="Geneva").paragraphs == [
        "Talks resume",
        "Delegations from both sides arrived in Geneva on Monday for a third round of talks, "
        "the Swiss foreign ministry said in a statement released late in the evening.",
        "- A prisoner exchange is on the agenda.",
        "- So is the nuclear plant.",
    ]
