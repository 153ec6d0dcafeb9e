"""Key figures: every number verbatim, what it counts in the sentence's own words, no non-quantities."""

from __future__ import annotations

from briefing.facts import find_numbers, key_figures
from briefing.text import Sentence


def sentence(text: str, index: int = 0) -> Sentence:
    return Sentence(article_id="a1", index=index, paragraph=0, text=text, start=0, end=len(text))


def figures(*texts: str) -> list[tuple[str, str]]:
    routed = [("battlefield", sentence(t, i)) for i, t in enumerate(texts)]
    return [(f.value, f.counts) for f in key_figures(routed)]


def test_counted_nouns_follow_the_figure():
    assert figures("Every day the enemy carries out from 40 to 50 storming operations and 500 shelling episodes.") == [
        ("40 to 50", "storming operations"),
        ("500", "shelling episodes"),
    ]
    assert figures("Officials said two people had died in the shelling.") == [("two", "people")]
    assert figures("His forces held 80% of Bakhmut, he said.") == [("80%", "of Bakhmut")]


def test_sums_take_the_phrase_they_belong_to():
    assert figures("Kyiv had identified a priority funding gap of $14 billion needed this year.") == [
        ("$14 billion", "priority funding gap")
    ]
    assert figures("The bill includes $60.8bn for Ukraine and more.") == [("$60.8bn", "for Ukraine")]


def test_unsure_labels_are_quoted_not_guessed():
    [(value, counts)] = figures("Russia's economy would contract by 11.2% this year, the bank said.")
    assert value == "11.2%"
    assert counts.startswith("…") and counts[1:] in "Russia's economy would contract by"


def test_designations_ordinals_ages_dates_and_conversions_are_not_figures():
    assert figures("Ukraine asked for S-400 systems, F-16 jets and M777 howitzers.") == []
    assert figures("It is the worst crisis of the 21st century.") == []
    assert figures("Timur Ivanov, 48, was detained in Moscow.") == []
    assert figures("The talks began on March 3 in 2022.") == []
    assert figures("Europe pays up to €800m (£674m; $884m) a day.") == [("€800m", "…Europe pays up to")]


def test_same_figure_twice_is_listed_once():
    assert figures("Two people died in Kherson.", "Officials confirmed 2 people died.") == [("Two", "people")]


def test_number_forms_compare_equal():
    [a] = find_numbers("a gap of $14 billion")
    [b] = find_numbers("a gap of $14bn")
    assert a.matches(b)
    [r1] = find_numbers("40 to 50 assaults")
    [r2] = find_numbers("40-50 assaults")
    assert r1.matches(r2)
    [w] = find_numbers("two people")
    [d] = find_numbers("2 people")
    assert w.matches(d)
