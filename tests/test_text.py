"""Sentence splitting, kinds of sentences, and speakers of quotations, on crafted text and the corpus."""

from __future__ import annotations

import dataclasses

import pytest

from briefing.articles import make_article, read_path
from briefing.text import (
    BOILERPLATE,
    BODY,
    CAPTION,
    DATELINE,
    HEADING,
    MAX_QUOTE_WORDS,
    Sentence,
    split_article,
    split_spans,
    split_text,
)
from conftest import SEED, corpus_articles, needs_corpus

KINDS = {BODY, CAPTION, HEADING, BOILERPLATE, DATELINE}


def article(*paragraphs: str, title: str = "Test article"):
    return make_article("\n\n".join(paragraphs), title=title, path="test.txt")


def kinds(*paragraphs: str) -> list[tuple[str, str]]:
    return [(s.kind, s.text) for s in split_article(article(*paragraphs))]


def speakers(*paragraphs: str) -> dict[str, str | None]:
    return {s.text: s.speaker for s in split_article(article(*paragraphs))}


# --- where sentences end -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "The U.S. Treasury sent $14 billion to Kyiv on Monday.",
        "Gen. Valerii Zaluzhnyi visited the front near Bakhmut.",
        "Lt. Col. Ivan Petrenko led the No. 2 battalion across the river.",
        "Inflation slowed to 3.5 per cent in March, the bank said.",
        "Russia controls about 80% of the city, officials said.",
        "Prime Minister Denys A. Shmyhal met J. R. Smith in Washington.",
        "The sirens sounded at 4 a.m. local time and again at 11 p.m. that night.",
        "The ministry's Feb. 13 update listed Art. 5 of the treaty.",
        "Talks in St. Petersburg began with Mr. Lavrov and Dr. Kim present.",
        "Between 90-100% of the wheat comes from the two countries, U.N. data shows.",
        "The No. 10 spokesman said the U.K. would send 120 armoured vehicles.",
    ],
)
def test_abbreviations_decimals_and_initials_do_not_end_a_sentence(text):
    assert split_text(text) == [text]


def test_sentences_are_split_where_they_end():
    text = (
        "Russia fired 40 missiles overnight. Ukraine said it shot down 35 of them! "
        "Was the grid hit? Officials would not say. 2023 was the worst year for the grid."
    )
    assert split_text(text) == [
        "Russia fired 40 missiles overnight.",
        "Ukraine said it shot down 35 of them!",
        "Was the grid hit?",
        "Officials would not say.",
        "2023 was the worst year for the grid.",
    ]


def test_an_abbreviation_that_ends_a_sentence_splits_before_a_sentence_opener():
    assert split_text("The aid came from the U.S. The rest came from Europe.") == [
        "The aid came from the U.S.",
        "The rest came from Europe.",
    ]
    assert split_text("He landed at 9 a.m. The talks began an hour later.") == [
        "He landed at 9 a.m.",
        "The talks began an hour later.",
    ]


def test_no_is_an_abbreviation_only_before_a_number():
    assert split_text("Asked if he would resign, he said no. The vote is on Friday.") == [
        "Asked if he would resign, he said no.",
        "The vote is on Friday.",
    ]


def test_text_run_together_is_split():
    assert split_text("The EU would respond.He said: “We condemn the attack.”") == [
        "The EU would respond.",
        "He said: “We condemn the attack.”",
    ]


def test_ellipses_end_sentences_outside_quotations_and_not_inside():
    assert split_text("The convoy waited... Then it turned back.") == ["The convoy waited...", "Then it turned back."]
    quote = "“We wanted peace … They wanted the land,” she said."
    assert split_text(quote) == [quote]


def test_a_quotation_of_several_sentences_stays_together():
    text = (
        "“We look forward to the delivery of weapons. We are bringing victory closer. "
        "Every day counts,” he said. Officials agreed."
    )
    assert split_text(text) == [
        "“We look forward to the delivery of weapons. We are bringing victory closer. Every day counts,” he said.",
        "Officials agreed.",
    ]


def test_straight_and_doubled_single_quotes_are_quotations_too():
    assert split_text('"It is hard. We hold on," Kuleba said. The talks ended.') == [
        '"It is hard. We hold on," Kuleba said.',
        "The talks ended.",
    ]
    assert split_text("“The report is grim. It is clear,’’ said Anna Kovalenko. “We need help.”") == [
        "“The report is grim. It is clear,’’ said Anna Kovalenko.",
        "“We need help.”",
    ]


def test_a_quotation_continued_over_run_together_paragraphs_is_one_quotation():
    # Each paragraph of a long quotation opens with a mark; only the last one closes.
    text = "She said: “We will act. We will not wait. “We will freeze their assets.” The summit ended."
    assert split_text(text) == [
        "She said: “We will act. We will not wait. “We will freeze their assets.”",
        "The summit ended.",
    ]


def test_a_quotation_over_the_cap_is_split_into_readable_pieces():
    sentence = "We will keep fighting for every village and every field in the east of our country."
    quote = "“" + " ".join([sentence] * 8) + "”"
    spans = split_spans(quote)
    assert len(spans) > 1
    assert all(len(quote[a:b].split()) <= MAX_QUOTE_WORDS for a, b in spans)
    assert "".join(quote[a:b] for a, b in spans).replace(" ", "") == quote.replace(" ", "")


def test_a_quotation_closed_without_a_full_stop_ends_before_the_next_sentence():
    text = "He said: “It will be a new Europe after what we saw today” Following the meeting, troops moved."
    assert split_text(text) == [
        "He said: “It will be a new Europe after what we saw today”",
        "Following the meeting, troops moved.",
    ]


def test_list_bullets_are_trimmed_from_sentences():
    sentences = split_article(article("- US Defense Secretary Lloyd Austin approved the extension on March 31."))
    assert [s.text for s in sentences] == ["US Defense Secretary Lloyd Austin approved the extension on March 31."]


def test_spans_point_into_the_article_text():
    a = article(
        "KYIV, Ukraine (AP) — Russia launched 30 drones overnight, the air force said. All were shot down.",
        "“We are ready,” Gen. Oleksandr Syrskyi said. “The enemy is not.”",
    )
    for s in split_article(a):
        assert a.text[s.start : s.end] == s.text
    assert [s.index for s in split_article(a)] == list(range(len(split_article(a))))


# --- kinds of sentences ------------------------------------------------------------------------


def test_the_seed_caption_is_a_caption():
    [seed] = read_path(SEED)
    sentences = split_article(seed)
    assert sentences[0].kind == CAPTION
    assert sentences[0].text.startswith("Ukrainian artillery fires toward the frontline")
    assert sentences[0].text.endswith("near Bakhmut, Ukraine,on Thursday.")
    assert all(s.kind == BODY for s in sentences[1:])


@pytest.mark.parametrize(
    "first, dateline",
    [
        ("KYIV, Ukraine (AP) — Russia launched a wave of drones at the capital overnight.", "KYIV, Ukraine (AP)"),
        ("CNN — The Pentagon announced Monday that it had sent more missiles to Ukraine.", "CNN"),
        ("Kyiv (CNN) — Ukraine asked refugees not to come home before the winter is over.", "Kyiv (CNN)"),
        (
            "MOSCOW, March 3 (Reuters) - The Kremlin said talks would resume next week in Minsk.",
            "MOSCOW, March 3 (Reuters)",
        ),
    ],
)
def test_a_dateline_is_its_own_sentence_and_not_body(first, dateline):
    [head, body] = split_article(article(first))
    assert (head.kind, head.text) == (DATELINE, dateline)
    assert body.kind == BODY and first.endswith(body.text) and not body.text.startswith(dateline)


def test_a_dateline_is_only_looked_for_at_the_start():
    later = "NATO — the alliance of 32 countries — met in Brussels on Thursday to discuss air defence."
    assert kinds("The ministers met on Thursday.", later) == [
        (BODY, "The ministers met on Thursday."),
        (BODY, later),
    ]


@pytest.mark.parametrize(
    "paragraph",
    [
        "Read more: Russia’s summer offensive explained",
        "Sign up to First Edition, our free daily newsletter – every weekday morning at 7am",
        "Support Kyiv Post: become a member today and get our daily briefing.",
        "To keep reading, become a member of Kyiv Post and support independent journalism.",
        "Advertisement",
        "CLICK HERE TO GET THE FOX NEWS APP",
        "The Associated Press contributed to this report.",
        "Reporting by Olena Harmash; Editing by Mark Heinrich",
        "The views expressed in this opinion article are the author’s and not necessarily those of Kyiv Post.",
        "Follow Derek Gatopoulos on Twitter for more coverage from Ukraine.",
        "You can read more about that story here.",
        "Related stories: Grain deal collapses",
        "We use cookies to improve your experience on our site.",
    ],
)
def test_site_boilerplate_is_marked(paragraph):
    body = "Russian forces shelled the city of Kherson on Tuesday, killing two people, officials said."
    marked = kinds(body, paragraph)
    assert marked[0] == (BODY, body)
    assert {kind for kind, _ in marked[1:]} == {BOILERPLATE}


def test_boilerplate_inside_a_paragraph_is_marked_sentence_by_sentence():
    marked = kinds(
        "Russian forces shelled Kherson on Tuesday.",
        "Good morning from Kyiv. It was a quiet weekend in the capital after Friday’s strikes.",
    )
    assert marked[1:] == [
        (BOILERPLATE, "Good morning from Kyiv."),
        (BODY, "It was a quiet weekend in the capital after Friday’s strikes."),
    ]


def test_an_author_note_at_the_end_is_boilerplate_but_not_a_like_sentence_earlier():
    bio = "(Jane Doe is a reporter covering Eastern Europe. She was part of a team that won a prize.)"
    early = "Vitrenko is a former adviser to the government, and he says the deal is bad for Ukraine."
    marked = kinds(early, "Gas prices rose by 10% in a week.", "Europe is preparing for winter.",
                   "Officials met on Friday.", bio)
    assert marked[0] == (BODY, early)
    assert [k for k, _ in marked if "Jane Doe" in _ or "prize" in _] == [BOILERPLATE, BOILERPLATE]


@pytest.mark.parametrize(
    "caption",
    [
        "Firefighters work at the site of a strike in Odesa. Photograph: Oleksandr Gimanov/AFP/Getty Images",
        "A damaged building in Kharkiv. (AP Photo/Evgeniy Maloletka)",
        "▲ Ukrainian soldiers near the river crossing in May.",
        "Map: where Russian forces have advanced",
        "01:35 Zelenskiy addresses the parliament in London – video",
    ],
)
def test_photo_captions_and_embeds_are_captions(caption):
    body = "The strike destroyed a five-storey building, the regional governor said on Telegram."
    marked = kinds(body, caption, "Rescue teams worked through the night to find survivors.")
    assert {kind for kind, text in marked if text in caption} == {CAPTION}
    assert marked[0] == (BODY, body)


def test_an_embed_title_run_into_a_sentence_is_cut_off_as_a_caption():
    marked = kinds("Map of Russian offensive The UN refugee agency said 1.2 million people had fled.")
    assert marked == [
        (CAPTION, "Map of Russian offensive"),
        (BODY, "The UN refugee agency said 1.2 million people had fled."),
    ]


def test_sub_headings_are_headings():
    marked = kinds(
        "The talks opened in Istanbul on Wednesday.",
        "What are the aims of the talks?",
        "– ‘A coherent counter-offensive’ –",
        "Europe's breadbasket",
        "Ukraine exported 80% of its grain through its Black Sea ports before the invasion.",
    )
    assert [k for k, _ in marked] == [BODY, HEADING, HEADING, HEADING, BODY]


# --- speakers ----------------------------------------------------------------------------------


def test_the_seed_quotations_get_their_speakers():
    [seed] = read_path(SEED)
    by_text = {s.text: s.speaker for s in split_article(seed)}
    enemy = next(t for t in by_text if t.startswith("“The enemy is using its most professional units"))
    weapons = next(t for t in by_text if t.startswith("“We look forward to the delivery of weapons"))
    assert by_text[enemy] == "Hanna Malyar"
    assert by_text[weapons] == "Volodymyr Zelenskiy"
    # Sentences that name their own speaker, and plain statements, get none.
    assert by_text[next(t for t in by_text if t.startswith("“We are readying our boys,”"))] is None
    assert by_text[next(t for t in by_text if t.startswith("The head of Russia’s Wagner"))] is None
    assert sum(speaker is not None for speaker in by_text.values()) == 2


def test_a_speaker_is_verbatim_from_the_article():
    [seed] = read_path(SEED)
    for s in split_article(seed):
        if s.speaker:
            assert s.speaker in seed.text


def test_a_name_after_the_verb_and_a_title_in_front_are_handled():
    found = speakers(
        "“The situation is terrible,” said Olena Kovalenko, the deputy mayor of the city. “We need water.”",
        "Ukraine’s foreign minister, Dmytro Kuleba, said: “We need air defence.” “We need it now.”",
        "Defence Minister Oleksii Reznikov told reporters the lines held. “Nothing has changed.”",
    )
    assert found["“We need water.”"] == "Olena Kovalenko"
    assert found["“We need it now.”"] == "Dmytro Kuleba"
    assert found["“Nothing has changed.”"] == "Oleksii Reznikov"


def test_a_pronoun_goes_back_to_the_last_person_named():
    found = speakers(
        "Ukrainian Deputy Defence Minister Hanna Malyar said heavy fighting continued. She said attacks were repelled.",
        "“The enemy is attacking in waves,” she wrote on Telegram.",
        "“It is the hardest sector.”",
    )
    assert found["“It is the hardest sector.”"] == "Hanna Malyar"


def test_a_last_name_becomes_the_shortest_full_name_in_the_article():
    found = speakers(
        "President Volodymyr Zelenskiy visited the front on Friday.",
        "“We are ready,” Zelenskiy said. “The partners are with us.”",
    )
    assert found["“The partners are with us.”"] == "Volodymyr Zelenskiy"


def test_no_speaker_when_the_attribution_names_no_one():
    found = speakers(
        "“The damage is serious,” the prime minister said. “Repairs will take weeks.”",
        "“We have no power,” a resident said. “Nobody came to help.”",
    )
    assert found["“Repairs will take weeks.”"] is None
    assert found["“Nobody came to help.”"] is None


def test_no_speaker_when_a_statement_stands_in_between():
    found = speakers(
        "“The strikes will continue,” Jens Stoltenberg said.",
        "Foreign Minister Dmytro Kuleba arrived in Brussels on Thursday for the meeting.",
        "“We need more Patriots.”",
        "“The line will hold,” Oleksandr Syrskyi said. The ministry dismissed the claim. “They are losing.”",
    )
    assert found["“We need more Patriots.”"] is None
    assert found["“They are losing.”"] is None


def test_no_speaker_when_the_pronoun_could_be_either_of_two_people():
    found = speakers(
        "President Emmanuel Macron met Chancellor Olaf Scholz in Berlin on Monday.",
        "“We will not abandon Ukraine,” he said. “Europe stands together.”",
    )
    assert found["“Europe stands together.”"] is None


def test_no_speaker_from_too_far_back():
    found = speakers(
        "“The bridge is down,” Serhiy Haidai said.",
        "Shelling continued all day.",
        "Two schools were hit.",
        "The evacuation was halted.",
        "The river rose after the rain.",
        "“Nobody can cross now.”",
    )
    assert found["“Nobody can cross now.”"] is None


def test_the_pieces_of_a_long_quotation_get_its_speaker():
    sentence = "We will keep fighting for every village and every field in the east of our country."
    text = "Ukraine’s foreign minister, Dmytro Kuleba, said: “" + " ".join([sentence] * 8) + "”"
    sentences = split_article(article("The talks ended without a deal on Friday.", text))
    pieces = [s for s in sentences if s.paragraph == 1]
    assert len(pieces) > 1
    assert pieces[0].speaker is None  # it names its speaker itself
    assert {s.speaker for s in pieces[1:]} == {"Dmytro Kuleba"}


def test_sentences_that_are_not_quotations_have_no_speaker():
    found = speakers(
        "Zelenskiy said the army would hold the line.",
        "It was called an “award for military excellence.”",
    )
    assert set(found.values()) == {None}


def test_sentence_keeps_its_fields_and_adds_speaker():
    s = Sentence("abc", 0, 0, "A sentence.", 0, 11)
    assert (s.kind, s.speaker, s.is_body, s.words) == (BODY, None, True, 2)
    assert [f.name for f in dataclasses.fields(Sentence)] == [
        "article_id", "index", "paragraph", "text", "start", "end", "kind", "speaker",
    ]
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.speaker = "Someone"  # type: ignore[misc]


# --- the corpus --------------------------------------------------------------------------------


@needs_corpus
def test_every_corpus_article_splits_cleanly():
    total = 0
    for path in corpus_articles():
        [a] = read_path(path)
        sentences = split_article(a)
        assert sentences, path.name
        total += len(sentences)
        for s in sentences:
            assert s.text.strip() == s.text and s.text, (path.name, s.index)
            assert a.text[s.start : s.end] == s.text, (path.name, s.index)
            assert s.words <= 120, (path.name, s.text[:80])
            assert s.kind in KINDS
            assert s.speaker is None or (s.kind == BODY and s.speaker in a.text), (path.name, s.speaker)
        assert [s.start for s in sentences] == sorted(s.start for s in sentences)
    assert total > 800


@needs_corpus
def test_corpus_furniture_is_marked():
    by_name = {p.name[:2]: p for p in corpus_articles()}
    marked: dict[str, list[tuple[str, str]]] = {}
    for key in ("15", "17", "20", "30"):
        [a] = read_path(by_name[key])
        marked[key] = [(s.kind, s.text) for s in split_article(a)]
    memo = [text for kind, text in marked["15"] if kind == BOILERPLATE]
    assert any(text.startswith("Kyiv Post will bring you") for text in memo)
    assert any(text.startswith("You can read") for text in memo)
    assert all(kind != BODY for kind, text in marked["17"] if "views expressed" in text)
    assert marked["20"][0][0] == DATELINE
    assert all(kind == BOILERPLATE for kind, text in marked["30"] if text.startswith(("Reprinted", "See the original")))


def test_single_quotation_marks_are_quotations_and_apostrophes_are_not():
    assert split_text("‘We are ready. The enemy is not,’ he said. ‘We will win.’") == [
        "‘We are ready. The enemy is not,’ he said.",
        "‘We will win.’",
    ]
    assert split_text("Ukraine’s army called it a ‘special operation’ and waited. The soldiers’ food ran out.") == [
        "Ukraine’s army called it a ‘special operation’ and waited.",
        "The soldiers’ food ran out.",
    ]
    found = speakers("‘We are ready,’ said Oleksandr Syrskyi. ‘The enemy is not.’")
    assert found["‘The enemy is not.’"] == "Oleksandr Syrskyi"
