"""The seq2seq backend on tiny random-weight BART and T5 models built at test time.

Their output is gibberish, so these tests check structure — what reaches the model, how it is
batched and chunked, what the report says about each section — never wording.
"""

from __future__ import annotations

import json
import logging
import warnings

import pytest

from briefing.articles import read_inputs
from briefing.condense import SectionInput
from briefing.condense.seq2seq import BATCH_LIMITS, FALLBACK, METHOD, Seq2SeqCondenser, generation_config, prepared
from briefing.report import Options, build_report
from briefing.sections import available_sections
from briefing.text import split_article
from conftest import ONE_THREAD, SEED, run_cli

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]




def seed_sentences():
    return [s for s in split_article(read_inputs([str(SEED)])[0]) if s.is_body]


def section_inputs(max_words: int = 12, per_section: int = 1) -> list[SectionInput]:
    """Seed body sentences spread over the package's sections, one each by default (fits the tiny models)."""
    sentences = seed_sentences()
    sections = available_sections()
    inputs = []
    for n, section in enumerate(sections):
        mine = tuple(sentences[n * per_section : (n + 1) * per_section])
        inputs.append(SectionInput(section, mine, tuple(0.8 for _ in mine), max_words=max_words))
    return inputs


class EncoderCalls:
    """Records what the model's encoder actually receives: the input ids of each call."""

    def __init__(self, model):
        self.calls: list = []
        self.handle = model.get_encoder().register_forward_pre_hook(self.record, with_kwargs=True)

    def record(self, module, args, kwargs):
        ids = kwargs.get("input_ids", args[0] if args else None)
        self.calls.append(ids.clone())

    def close(self):
        self.handle.remove()


def test_cli_model_path_end_to_end(tiny_bart):
    """The acceptance command: --model PATH --backend seq2seq runs the model; each section names its method."""
    result = run_cli("generate", str(SEED), "--model", str(tiny_bart), "--backend", "seq2seq", "--format", "json",
                     "--router", "cues", "--max-words", "12", env=ONE_THREAD)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["notices"] == []
    for section in report["sections"]:
        assert section["method"] in (METHOD, FALLBACK), section
        assert section["model"] == f"{tiny_bart} (int8)"  # the CPU default, named in the report
        assert section["statements"], "a section falls back to quotes rather than going empty"
        for statement in section["statements"]:
            assert statement["citations"]
        for dropped in section["dropped"]:
            assert dropped["text"] and dropped["reason"]
        if section["method"] == FALLBACK:  # random weights: the guard rejects the gibberish, and says so
            assert section["dropped"] or "generated nothing" in section["notes"][0]
            assert "faithfulness check" in section["notes"][0] or "generated nothing" in section["notes"][0]


def test_cli_auto_without_model_warns_once_and_reports_extractively():
    result = run_cli("generate", str(SEED), "--router", "cues", "--format", "json", env=ONE_THREAD)
    assert result.returncode == 0, result.stderr
    warnings_ = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(warnings_) == 1 and "briefing models pull sshleifer/distilbart-cnn-12-6" in warnings_[0]
    report = json.loads(result.stdout)
    assert [s["key"] for s in report["sections"]] == ["battlefield", "diplomacy", "reconstruction"]
    assert {s["method"] for s in report["sections"]} == {FALLBACK}
    assert all(s["statements"] for s in report["sections"])
    assert "briefing models pull" in report["notices"][0]


def test_cli_seq2seq_without_model_is_an_error():
    result = run_cli("generate", str(SEED), "--router", "cues", "--backend", "seq2seq")
    assert result.returncode == 4
    assert result.stdout == ""
    assert "briefing models pull sshleifer/distilbart-cnn-12-6" in result.stderr


def test_auto_falls_back_when_the_model_cannot_be_loaded(tmp_path):
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text('{"model_type": "bart"}')
    (broken / "model.safetensors").write_bytes(b"not weights")
    said: list[str] = []
    report = build_report(read_inputs([str(SEED)]), Options(router="cues", backend="auto", model=str(broken)),
                          notify=said.append)
    assert len(said) == 1 and "cannot load model" in said[0]
    assert {b.method for b in report.briefs} == {FALLBACK}
    assert report.notices == said


def test_all_sections_go_through_one_generate_call(tiny_bart):
    condenser = Seq2SeqCondenser(str(tiny_bart), precision="fp32", beams=2)
    model = condenser.load().model
    rows: list[int] = []
    hook = model.get_decoder().register_forward_pre_hook(
        lambda module, args, kwargs: rows.append(kwargs["input_ids"].shape[0]), with_kwargs=True
    )
    try:
        briefs = condenser.condense(section_inputs())
    finally:
        hook.remove()
    assert len(briefs) == 3 and len(condenser.trace.rounds) == 1  # each section fits in one input
    assert condenser.trace.batches == [3]  # one generate call for the three sections
    assert max(rows) == 3 * 2  # the decoder steps all three sections' beams together

    one_by_one = Seq2SeqCondenser(str(tiny_bart), precision="fp32", beams=2, batch_size=1)
    one_by_one.condense(section_inputs())
    assert one_by_one.trace.batches == [1, 1, 1]


def test_family_shaping(tiny_bart, tiny_t5, briefing_home):
    inputs = section_inputs()
    first = " ".join(s.text for s in inputs[0].sentences)

    bart = Seq2SeqCondenser(str(tiny_bart), precision="fp32", beams=1)
    bart.condense(inputs)
    assert bart.trace.rounds[0][0].text == first  # plain text for BART

    t5 = Seq2SeqCondenser(str(tiny_t5), precision="fp32", beams=1)
    encoder = EncoderCalls(t5.load().model)
    try:
        t5.condense(inputs)
    finally:
        encoder.close()
    assert t5.trace.rounds[0][0].text == "summarize: " + first
    seen = t5.loaded.tokenizer.decode(encoder.calls[0][0], skip_special_tokens=True)
    assert seen.startswith("summarize:")  # what the model actually received

    # Registered as instruction-tuned (a user's models.txt line for the folder): the section's instruction.
    (briefing_home / "models.txt").write_text(f"{tiny_t5}  flan-t5  128  tiny instruction-tuned test model\n")
    flan = Seq2SeqCondenser(str(tiny_t5), beams=1)
    flan.condense(inputs)
    for job in flan.trace.rounds[0]:
        section = inputs[job.item].section
        assert section.instruction and job.text.startswith(section.instruction + "\n\n")


def test_long_section_is_condensed_in_rounds_and_never_truncated(tiny_bart):
    """5x the model's input limit: chunks at sentence boundaries, every sentence seen once, no truncation."""
    sentences = tuple(seed_sentences())
    condenser = Seq2SeqCondenser(str(tiny_bart), precision="fp32", beams=2, max_chunks=0)
    condenser.load()
    limit = condenser.limit
    total = sum(condenser.count([s.text for s in sentences]))
    assert total >= 5 * limit, "the test needs a section five times the model's input"
    item = SectionInput(available_sections()[0], sentences, tuple(0.8 for _ in sentences), max_words=20)

    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())
    hf_logger = logging.getLogger("transformers")
    hf_logger.addHandler(handler)
    encoder = EncoderCalls(condenser.loaded.model)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            brief = condenser.condense([item])[0]
    finally:
        encoder.close()
        hf_logger.removeHandler(handler)

    rounds = condenser.trace.rounds
    assert len(rounds) >= 2 and len(rounds[0]) >= 5 and len(rounds[-1]) == 1
    # No source sentence is dropped before the model sees it: the first round's chunks are the
    # section's sentences, in order, each whole and exactly once.
    chunks = [job.text for job in rounds[0]]
    assert " ".join(chunks) == " ".join(s.text for s in sentences)
    for sentence in sentences:
        assert sum(sentence.text in chunk for chunk in chunks) == 1
    # ... and every input fits: the encoder never got more than the limit.
    assert all(job.tokens <= limit for r in rounds for job in r)
    assert encoder.calls and all(ids.shape[1] <= limit for ids in encoder.calls)
    assert sum(ids.shape[0] for ids in encoder.calls) == sum(len(r) for r in rounds)
    messages = records + [str(w.message) for w in caught]
    assert not [m for m in messages if "longer than the specified maximum" in m or "truncat" in m.lower()]
    assert brief.method in (METHOD, FALLBACK)


def test_one_sentence_longer_than_the_limit_is_cut_between_words_not_dropped(tiny_bart):
    condenser = Seq2SeqCondenser(str(tiny_bart), beams=1)
    condenser.load()
    words = " ".join(s.text for s in seed_sentences()).split()[:220]
    long_sentence = " ".join(words)
    assert condenser.count([long_sentence])[0] > condenser.limit
    item = SectionInput(available_sections()[0], (seed_sentences()[0],), (0.8,), max_words=20)
    chunks = condenser.pack(item, [long_sentence])
    assert len(chunks) >= 2 and all(tokens <= condenser.limit for _, tokens in chunks)
    assert " ".join(text for text, _ in chunks).split() == words


def test_identical_inputs_give_identical_output(tiny_bart, tiny_t5):
    for folder in (tiny_bart, tiny_t5):
        first = Seq2SeqCondenser(str(folder), beams=3, seed=7)
        a = first.condense(section_inputs())
        again = first.condense(section_inputs())
        other = Seq2SeqCondenser(str(folder), beams=3, seed=7).condense(section_inputs())
        outputs = first.trace.outputs
        assert any(text for r in outputs for text in r), "the model generated something"
        for x, y, z in zip(a, again, other):
            assert (x.method, [s.text for s in x.statements], x.dropped) == (y.method, [s.text for s in y.statements], y.dropped)
            assert (x.method, [s.text for s in x.statements], x.dropped) == (z.method, [s.text for s in z.statements], z.dropped)


def test_work_shared_across_beams_changes_nothing(tiny_bart, tiny_t5):
    """Encoding each input at its own length and sharing cross-attention across beams: the very same tokens."""
    import torch

    sentences = [s.text for s in seed_sentences()]
    texts = [" ".join(sentences[:2]), sentences[5], sentences[3][:60]]  # different lengths: padding in the batch
    for folder in (tiny_bart, tiny_t5):
        condenser = Seq2SeqCondenser(str(folder), precision="fp32", beams=4)
        loaded = condenser.load()
        encoded = loaded.tokenizer(texts, return_tensors="pt", padding=True)
        assert encoded["input_ids"].shape[1] <= condenser.limit
        config = generation_config(loaded.model, condenser.settings, 24, 4)
        with torch.inference_mode():
            plain = loaded.model.generate(**encoded, generation_config=config)
            shared = loaded.model.generate(**prepared(loaded.model, dict(encoded), config), generation_config=config)
        assert torch.equal(plain, shared)


def test_multi_article_report_batches_across_articles(tiny_bart, tmp_path):
    text = SEED.read_text(encoding="utf-8")
    second = tmp_path / "second.txt"
    second.write_text("Second report on the war\n\n" + "\n\n".join(reversed(text.split("\n\n")[1:])), encoding="utf-8")
    condenser = Seq2SeqCondenser(str(tiny_bart), beams=2, batch_size=32)
    report = build_report(read_inputs([str(SEED), str(second)]), Options(router="cues", max_words=12),
                          condenser=condenser)
    assert {b.section.key for b in report.briefs} == {"battlefield", "diplomacy", "reconstruction"}
    # Every input of a round — chunks of all sections, from both articles — goes through generate
    # together: one call per round and generation length (a section's last round, or a chunk round).
    trace = condenser.trace
    jobs = sum(len(r) for r in trace.rounds)
    assert sum(trace.batches) == jobs
    assert len(trace.batches) <= 2 * len(trace.rounds) < jobs
    assert trace.batches[0] >= 3
    cited = {s.article_id for b in report.briefs for st in b.statements for s in st.sources}
    assert len(cited) == 2


def run_on_a_terminal(*args: str) -> str:
    """Run the CLI with stderr on a pseudo-terminal, as in an interactive shell; returns what stderr showed."""
    import os
    import pty
    import subprocess
    import sys

    from conftest import ROOT

    leader, follower = pty.openpty()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", **ONE_THREAD}
    proc = subprocess.Popen([sys.executable, "-m", "briefing", *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    shown = b""
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:
            break
        if not data:
            break
        shown += data
    proc.wait(timeout=120)
    os.close(leader)
    assert proc.returncode == 0, shown.decode("utf-8", "replace")
    return shown.decode("utf-8", "replace")


def test_progress_on_a_terminal_and_quiet_silences_it(tiny_bart):
    args = ("generate", str(SEED), "--model", str(tiny_bart), "--backend", "seq2seq", "--router", "cues",
            "--max-words", "12", "--format", "json")
    shown = run_on_a_terminal(*args)
    assert f"loading {tiny_bart} on cpu (int8, ctranslate2)" in shown
    assert "generating: round 1, batch 1/1" in shown
    assert run_on_a_terminal(*args, "--quiet").strip() == ""


def test_batches_are_cut_by_padded_tokens_and_by_count():
    """Longest first; a batch holds at most batch_size inputs and batch_tokens rows x longest input."""
    members, sizes = [0, 1, 2, 3, 4], [100, 90, 50, 40, 300]
    order = sorted(members, key=lambda k: -sizes[k])
    by_size = [sizes[k] for k in order]
    assert Seq2SeqCondenser("unused", batch_tokens=200).batched(order, by_size) == [[4], [0, 1], [2, 3]]
    assert Seq2SeqCondenser("unused", batch_tokens=10_000, batch_size=2).batched(order, by_size) == [[4, 0], [1, 2], [3]]
    assert Seq2SeqCondenser("unused").batch_limits() == BATCH_LIMITS["cpu"] == (8, 4096)
    assert Seq2SeqCondenser("unused", batch_tokens=1).batched(order, by_size) == [[4], [0], [1], [2], [3]]


def test_a_token_budget_splits_a_generate_call(tiny_bart):
    inputs = section_inputs()
    whole = Seq2SeqCondenser(str(tiny_bart), beams=2)
    whole.condense(inputs)
    split = Seq2SeqCondenser(str(tiny_bart), beams=2, batch_tokens=1)
    split.condense(inputs)
    assert whole.trace.batches == [len(inputs)] and split.trace.batches == [1] * len(inputs)


def test_map_beams_apply_to_intermediate_rounds_only(tiny_bart):
    """--map-beams 1: chunk summaries that are condensed again are greedy; the brief itself keeps --beams."""
    sentences = tuple(seed_sentences())
    item = SectionInput(available_sections()[0], sentences, tuple(0.8 for _ in sentences), max_words=20)
    condenser = Seq2SeqCondenser(str(tiny_bart), beams=4, map_beams=1)
    condenser.condense([item])
    rounds = condenser.trace.rounds
    assert len(rounds) >= 2 and len(rounds[-1]) == 1 and rounds[-1][0].final
    assert set(condenser.trace.beams[:-1]) == {1} and condenser.trace.beams[-1] == 4
    plain = Seq2SeqCondenser(str(tiny_bart), beams=4)
    plain.condense([item])
    assert set(plain.trace.beams) == {4}


def test_a_section_larger_than_max_chunks_gives_the_model_its_best_supported_facts(tiny_bart):
    """Past --max-chunks inputs, the model reads the facts most outlets told, then the most on-topic,
    in source order; the brief says how many of how many it read."""
    sentences = tuple(seed_sentences())
    outlets = tuple(3 if k % 7 == 0 else 1 for k in range(len(sentences)))
    scores = tuple(round(0.3 + 0.6 * ((k * 37) % 11) / 10, 3) for k in range(len(sentences)))
    item = SectionInput(available_sections()[0], sentences, scores, max_words=20, outlets=outlets)
    condenser = Seq2SeqCondenser(str(tiny_bart), beams=1, max_chunks=2)
    brief = condenser.condense([item])[0]
    first = condenser.trace.rounds[0]
    assert len(first) <= 3 and all(job.tokens <= condenser.limit for job in first)
    read, total = condenser.trace.read[0]
    assert total == len(sentences) and 0 < read < total
    seen = " ".join(job.text for job in first)
    kept = [k for k, s in enumerate(sentences) if s.text in seen]
    assert len(kept) == read
    assert all(k in kept for k in range(len(sentences)) if outlets[k] == 3)  # corroborated facts first
    dropped = [k for k in range(len(sentences)) if k not in kept]
    assert min(scores[k] for k in kept if outlets[k] == 1) >= max(scores[k] for k in dropped)  # then on-topic
    assert seen == " ".join(sentences[k].text for k in kept)  # in source order
    assert any(f"The model read {read} of {total} facts" in note for note in brief.notes)
    everything = Seq2SeqCondenser(str(tiny_bart), beams=1, max_chunks=0)
    everything.condense([item])
    assert everything.trace.read == {} and len(everything.trace.rounds[0]) > 2


def test_max_chunks_defaults_to_four_on_the_cpu(tiny_bart):
    """Unset, --max-chunks is 4 on the CPU (a GPU reads every fact: tests/test_cuda.py); a setting wins."""
    condenser = Seq2SeqCondenser(str(tiny_bart), device="cpu")
    condenser.load()
    assert condenser.chunk_limit() == 4
    assert Seq2SeqCondenser(str(tiny_bart), device="cpu", max_chunks=0).chunk_limit() == 0
    assert Seq2SeqCondenser(str(tiny_bart), device="cpu", max_chunks=7).chunk_limit() == 7


def test_the_cache_goes_under_the_name_the_installed_transformers_takes():
    """transformers 5.24 renamed generate's and the decoders' ``past_key_values`` to ``cache``; before
    that, a ``cache=`` argument was swallowed by ``**kwargs`` and every batched beam search crashed."""
    import torch

    from briefing.condense.seq2seq import cache_argument

    class New(torch.nn.Module):
        def forward(self, input_ids=None, cache=None, **kwargs):
            return input_ids

    class Old(torch.nn.Module):
        def forward(self, input_ids=None, past_key_values=None, **kwargs):
            return input_ids

    assert cache_argument(New()) == "cache"
    assert cache_argument(Old()) == "past_key_values"
