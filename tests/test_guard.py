"""The faithfulness guard on crafted generations: numbers, names, who said what, citations."""

from __future__ import annotations

import pytest

from briefing.condense import SectionInput
from briefing.condense.seq2seq import FALLBACK, METHOD, brief_from_generation
from briefing.facts import check_generated, check_sentence, clauses
from briefing.sections import Section
from briefing.text import Sentence

SOURCE = [
    "Ukrainian Deputy Defence Minister Hanna Malyar, writing on Telegram, said heavy fighting gripped all parts of the eastern front.",
    "“Most of the enemy’s offensive efforts are occurring in the Bakhmut sector,” she wrote.",
    "“Every day, the enemy carries out in Bakhmut from 40 to 50 storming operations and 500 shelling episodes.”",
    "The head of Russia’s Wagner mercenary group said this week that his forces held 80% of Bakhmut, "
    "but the Ukrainian military said that figure was exaggerated.",
    "President Volodymyr Zelenskiy and other senior officials are pressing allies for more weapons.",
    "Two civilians were killed in Russian shelling of the southern city of Kherson in March 2023.",
    "Prime Minister Denys Shmyhal, speaking alongside U.S. Treasury Secretary Janet Yellen, said Kyiv had "
    "identified a priority funding gap of $14 billion needed this year.",
    "Malyar said pro-Kyiv forces repelled attacks in most areas of the eastern front.",
]


def sentences(texts=SOURCE, article="a1") -> list[Sentence]:
    out, position = [], 0
    for index, text in enumerate(texts):
        out.append(Sentence(article, index, index, text, position, position + len(text)))
        position += len(text) + 1
    return out


SOURCES = sentences()


def verdict(claim: str):
    return check_sentence(claim, SOURCES)


@pytest.mark.parametrize(
    "claim",
    [
        "Every day the enemy carries out 40-50 storming operations in Bakhmut, Malyar said.",  # 40 to 50 ~ 40-50
        "Kyiv has a priority funding gap of $14bn needed this year, Shmyhal said.",  # $14 billion ~ $14bn
        "2 civilians were killed in Russian shelling of Kherson in March 2023.",  # two ~ 2
        "Wagner's chief said his forces held 80 percent of Bakhmut.",  # 80% ~ 80 percent, attribution kept
        "President Volodymyr Zelenskiy is pressing allies for more weapons.",
        "Pro-Kyiv forces repelled attacks on the eastern front, Malyar said.",  # a name inside a hyphenated word
    ],
)
def test_faithful_sentences_pass(claim):
    check = verdict(claim)
    assert check.ok, check.reasons
    assert check.sources, "a kept sentence must cite its sources"


def test_invented_number_is_dropped():
    check = verdict("Every day the enemy carries out 60 storming operations in Bakhmut, Malyar said.")
    assert not check.ok
    assert any("'60'" in reason for reason in check.reasons)


def test_changed_year_is_dropped():
    check = verdict("Two civilians were killed in Russian shelling of Kherson in March 2022.")
    assert any("2022" in reason for reason in check.reasons)


def test_number_moved_to_another_count_is_dropped():
    check = verdict("Every day the enemy carries out 500 storming operations in Bakhmut, Malyar said.")
    assert any("something else" in reason for reason in check.reasons)


def test_currency_must_match():
    check = verdict("Kyiv has a priority funding gap of €14 billion needed this year, Shmyhal said.")
    assert any("€14 billion" in reason for reason in check.reasons)


def test_swapped_name_is_dropped():
    check = verdict("President Vladimir Putin is pressing allies for more weapons.")
    assert any("vladimir putin" in reason for reason in check.reasons)


def test_names_from_different_sentences_do_not_combine():
    check = verdict("Hanna Shmyhal said heavy fighting gripped all parts of the eastern front.")
    assert any("hanna shmyhal" in reason for reason in check.reasons)


def test_dropped_attribution_is_dropped():
    check = verdict("Wagner forces held 80% of Bakhmut.")
    assert any(reason.startswith("drops the attribution") and "wagner" in reason for reason in check.reasons)


def test_swapped_attribution_is_dropped():
    check = verdict("Ukraine's military said Wagner forces held 80% of Bakhmut.")
    assert any(reason.startswith("changes the attribution") for reason in check.reasons)
    check = verdict("Kyiv identified a priority funding gap of $14 billion needed this year, Yellen said.")
    assert any("shmyhal" in reason for reason in check.reasons)


def test_quotation_keeps_the_speaker_of_the_sentence_before():
    """An unattributed quotation belongs to whoever spoke before it ('she wrote' -> Malyar)."""
    parts = clauses(SOURCES[2], SOURCES[:2])
    assert parts[0].attributed and {"hanna", "malyar"} <= parts[0].speakers
    assert not verdict("The enemy carries out 40 to 50 storming operations in Bakhmut every day.").ok
    assert verdict("The enemy carries out 40 to 50 storming operations in Bakhmut every day, Malyar said.").ok


def test_citations_point_at_the_best_supporting_sentences():
    check = verdict("Two civilians were killed in Russian shelling of Kherson, and Zelenskiy is pressing allies for more weapons.")
    assert check.ok, check.reasons
    assert [s.index for s in check.sources[:2]] == [5, 4]


def test_unsupported_wording_is_dropped():
    check = verdict("Heavy snow closed every airport in the region for a week.")
    assert any(reason.startswith("not supported") for reason in check.reasons)


def test_generated_text_is_split_and_repeats_and_fragments_dropped():
    text = ("Wagner's chief said his forces held 80% of Bakhmut. Wagner's chief said his forces held 80% of Bakhmut. "
            "Bakhmut Bakhmut.")
    checks = check_generated(text, SOURCES)
    assert [c.ok for c in checks] == [True, False, False]
    assert "repeats" in checks[1].reasons[0] and "fragment" in checks[2].reasons[0]


SECTION = Section("battlefield", "Battlefield", "Fighting.", ("attack",))


def item() -> SectionInput:
    return SectionInput(SECTION, tuple(SOURCES), tuple(0.9 for _ in SOURCES), max_words=60)


def test_brief_keeps_checked_sentences_and_lists_the_dropped():
    generated = ("Wagner's chief said his forces held 80% of Bakhmut. "
                 "The enemy carries out 70 storming operations a day in Bakhmut, Malyar said.")
    brief = brief_from_generation(item(), generated, "tiny@abc")
    assert brief.method == METHOD and brief.model == "tiny@abc"
    assert [s.text for s in brief.statements] == ["Wagner's chief said his forces held 80% of Bakhmut."]
    assert brief.statements[0].sources[0].index == 3
    assert brief.dropped == [{"text": "The enemy carries out 70 storming operations a day in Bakhmut, Malyar said.",
                              "reason": "number '70' is not in the sources"}]
    assert "1 generated sentence failed the faithfulness check" in brief.notes[0]


def test_brief_falls_back_to_extractive_when_nothing_passes():
    brief = brief_from_generation(item(), "Putin said 300 tanks entered Kyiv. Snow fell on the airport runway all week.", "tiny")
    assert brief.method == FALLBACK
    assert brief.statements and all(s.text in SOURCE for s in brief.statements)
    assert len(brief.dropped) == 2 and all(d["reason"] for d in brief.dropped)
    assert "failed the faithfulness check" in brief.notes[0] and "quoted from the sources" in brief.notes[0]


def test_a_quotation_speaker_named_by_the_splitter_is_kept():
    from dataclasses import replace

    quote = replace(sentences(["“We look forward to the delivery of weapons promised by our partners.”"])[0],
                    speaker="Volodymyr Zelenskiy")
    unattributed = check_sentence("They look forward to the delivery of weapons promised by their partners.", [quote])
    assert any("volodymyr" in reason for reason in unattributed.reasons)
    assert check_sentence("Zelenskiy said they look forward to the delivery of weapons promised by partners.",
                          [quote]).ok
