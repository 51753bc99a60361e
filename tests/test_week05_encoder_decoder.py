"""Week 5's reference implementations, beyond the graded checks: beam search against an exhaustive search
on many random tiny models, beam 1 against greedy decoding, edit distance against RapidFuzz, the GRU cell
against nn.GRUCell, the encoder's blindness to padding; and every check's inputs drawn fresh at grading.
Runs the master notebook's code cells without its training cells (a few seconds)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from coursekit.arrays import to_array
from coursekit.probing import drawing_from

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "source" / "week05_encoder_decoder" / "encoder_decoder.ipynb"


def _benchmark():
    """benchmarks/week05_encoder_decoder.py: the notebook loader, the tiny decoding model and the exhaustive
    search it measures beam search against (one copy, shared with the benchmark)."""
    spec = importlib.util.spec_from_file_location("week05_benchmark", ROOT / "benchmarks" / "week05_encoder_decoder.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BENCH = _benchmark()
TinyModel, exhaustive = BENCH.TinyModel, BENCH.exhaustive


@pytest.fixture(scope="module")
def ns() -> dict:
    return BENCH.load_notebook()


@pytest.mark.parametrize("seed", range(12))
def test_full_beam_is_exhaustive_search(ns, seed):
    gen = torch.Generator().manual_seed(seed)
    V, max_len, alpha = 3 + seed % 2, 3, (0.0, 0.5, 1.0)[seed % 3]
    model = TinyModel(V, max_len, gen)
    eos = seed % V
    bos = (eos + 1) % V
    tokens, score = ns["beam_search"](model, torch.tensor([1, 2]), V**max_len, max_len, bos, eos,
                                      length_penalty=alpha)
    best, best_score = exhaustive(model, max_len, bos, eos, alpha)
    assert tokens.tolist() == best
    assert score == pytest.approx(best_score, abs=1e-12)


@pytest.mark.parametrize("seed", range(8))
def test_beam_of_one_is_greedy(ns, seed):
    gen = torch.Generator().manual_seed(100 + seed)
    model, src = TinyModel(7, 6, gen), torch.tensor([3, 1, 4])
    greedy = ns["greedy_decode"](model, src[None], torch.tensor([3]), 6, 1, 2)[0].tolist()
    tokens, _ = ns["beam_search"](model, src, 1, 6, 1, 2)
    n = len(tokens)
    assert greedy[:n] == tokens.tolist() and all(t == 2 for t in greedy[n:])


def test_wider_beams_never_score_worse_with_exhaustive_width(ns):
    """A beam covering every hypothesis finds a normalised score at least as good as any narrower beam."""
    gen = torch.Generator().manual_seed(7)
    for _ in range(10):
        model = TinyModel(3, 4, gen)
        scores = [ns["beam_search"](model, torch.tensor([1]), k, 4, 0, 1)[1] for k in (1, 2, 3, 81)]
        assert max(scores[:3]) <= scores[3] + 1e-12


def test_edit_distance_agrees_with_rapidfuzz(ns):
    levenshtein = pytest.importorskip("rapidfuzz.distance").Levenshtein
    pairs = ns["test_pairs"][:300]
    for (_, a), (_, b) in zip(pairs, pairs[1:], strict=False):
        assert ns["edit_distance"](a, b) == levenshtein.distance(a, b)
    assert ns["edit_distance"]([], ["AH0"]) == 1 and ns["edit_distance"](["K"], []) == 1


def test_phoneme_error_rate_uses_reference_length(ns):
    refs = [["K", "AE1", "T"], ["D", "AO1", "G"]]
    assert ns["phoneme_error_rate"]([["K", "AE1", "T"], []], refs) == pytest.approx(3 / 6)
    assert ns["phoneme_error_rate"]([["K", "AE1", "T", "S", "S", "S"], ["D", "AO1", "G"]], refs) == pytest.approx(3 / 6)


def test_gru_cell_equals_nn_gru_cell(ns):
    torch.manual_seed(0)
    ours, theirs = ns["GRUCell"](6, 5).double(), torch.nn.GRUCell(6, 5).double()
    theirs.load_state_dict(ours.state_dict())
    x, h = torch.randn(4, 6, dtype=torch.float64), torch.randn(4, 5, dtype=torch.float64)
    torch.testing.assert_close(ours(x, h), theirs(x, h), rtol=0, atol=1e-12)
    torch.testing.assert_close(ours(x), theirs(x), rtol=0, atol=1e-12)


def test_encoder_ignores_padding(ns):
    torch.manual_seed(0)
    encoder = ns["Encoder"](27, 8, 6).double()
    with torch.no_grad():
        encoder.embed.weight.normal_()  # a non-zero padding row: only packing hides it
    batch = ns["make_batch"](ns["train_pairs"][:5])
    src, lengths = batch["src"], batch["src_lengths"]
    noisy = src.masked_fill(src == 0, 7)
    out, final = encoder(src, lengths)
    out_noisy, final_noisy = encoder(noisy, lengths)
    real = torch.arange(src.shape[1]) < lengths[:, None]
    torch.testing.assert_close(out, out_noisy)
    torch.testing.assert_close(final, final_noisy)
    assert out[~real].abs().max() == 0


def test_vocabulary_matches_the_data(ns):
    assert len(ns["PHONEMES"]) == 69 and ns["TGT_VOCAB"] == 72 and ns["SRC_VOCAB"] == 27
    assert len(ns["train_pairs"]) == 29459 and len(ns["test_pairs"]) == 2906


def test_every_check_draws_fresh_inputs_at_grading(ns):
    """A table of the public inputs' outputs answers no graded check: every probe's raw outputs change when
    the inputs are drawn from another seed (sizes, ids, lengths and values included)."""
    folder = ROOT / "autograder" / "week05_encoder_decoder"
    checks = []
    for name in ("public", "hidden"):
        spec = importlib.util.spec_from_file_location(f"week05_{name}", folder / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        checks += module.CHECKS
    stale = []
    for check in checks:
        outputs = []
        for seed in (0, 2024):
            with drawing_from(seed):
                outputs.append({k: to_array(v) for k, v in check.probe(ns).items()})
        public, fresh = outputs
        if public.keys() == fresh.keys() and all(
                public[k].shape == fresh[k].shape and np.array_equal(public[k], fresh[k]) for k in public):
            stale.append(check.name)
    assert stale == []
