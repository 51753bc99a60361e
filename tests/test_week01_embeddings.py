"""Week 1's reference functions agree with the peer library (gensim) where both define the same thing,
and the evaluation sets the notebook reads in place are where and what it expects."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("gensim")
from gensim.models import Word2Vec  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SENTENCES = [s.split() for s in (
    "the cat sat on the mat", "the dog sat on the log", "a cat and a dog", "the cat saw the dog",
    "a bird sat on a tree", "the dog and the cat ran", "a mat on the log", "the bird saw a cat",
)] * 20


@pytest.fixture(scope="module")
def ns():
    spec = importlib.util.spec_from_file_location("week01_benchmark", ROOT / "benchmarks" / "week01_embeddings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.load_notebook()


@pytest.fixture(scope="module")
def gensim_model():
    return Word2Vec(SENTENCES, sg=1, negative=5, vector_size=8, window=2, min_count=1, sample=1e-2, epochs=1,
                    workers=1, seed=0)


def test_evaluation_sets_in_gensim(ns) -> None:
    assert len(ns["load_pairs"]("wordsim353.tsv")) == 353
    assert len(ns["load_pairs"]("simlex999.txt")) == 999
    analogies = ns["load_analogies"]()
    assert len(analogies) == 14 and sum(map(len, analogies.values())) == 19544


def test_vocabulary_matches_gensim(ns, gensim_model) -> None:
    words, counts = ns["build_vocab"]([w for s in SENTENCES for w in s], 1)
    assert sorted(words) == sorted(gensim_model.wv.index_to_key)
    assert [gensim_model.wv.get_vecattr(w, "count") for w in words] == counts.tolist()


def test_keep_probability_is_gensims(ns, gensim_model) -> None:
    """gensim stores word2vec.c's keep probability as an integer threshold out of 2**32."""
    words, counts = ns["build_vocab"]([w for s in SENTENCES for w in s], 1)
    ours = ns["subsample_keep_prob"](counts, 1e-2)
    theirs = np.array([gensim_model.wv.get_vecattr(w, "sample_int") for w in words]) / 2**32
    np.testing.assert_allclose(ours, theirs, atol=1e-9)


def test_noise_distribution_is_gensims(ns, gensim_model) -> None:
    """gensim's cumulative table of counts ** 0.75, as differences, is our distribution."""
    counts = np.array([gensim_model.wv.get_vecattr(w, "count") for w in gensim_model.wv.index_to_key])
    table = np.diff(np.concatenate([[0], gensim_model.cum_table])) / gensim_model.cum_table[-1]
    np.testing.assert_allclose(ns["negative_sampling_distribution"](counts), table, atol=1e-8)


def test_cooccurrence_against_brute_force(ns) -> None:
    rng = np.random.default_rng(0)
    ids = rng.integers(-1, 7, size=60)
    for window, weighted in itertools.product((1, 3), (False, True)):
        expected = np.zeros((7, 7))
        for i, j in itertools.permutations(range(len(ids)), 2):
            if abs(i - j) <= window and ids[i] >= 0 and ids[j] >= 0:
                expected[ids[i], ids[j]] += 1 / abs(i - j) if weighted else 1
        got = ns["cooccurrence_matrix"](ids, 7, window, weighted=weighted).toarray()
        np.testing.assert_allclose(got, expected)


def test_skipgram_pairs_match_a_plain_loop(ns) -> None:
    import torch

    ids = torch.tensor([3, 1, -1, 4, 1, 5, 9, -1, 2, 6, 5, 3, 5])
    centres, contexts = ns["skipgram_pairs"](ids, 3, torch.Generator().manual_seed(7))
    spans = torch.randint(1, 4, (len(ids),), generator=torch.Generator().manual_seed(7)).tolist()
    expected = [(int(ids[i]), int(ids[j])) for i in range(len(ids)) for j in range(len(ids))
                if 0 < abs(i - j) <= spans[i] and ids[i] >= 0 and ids[j] >= 0]
    assert list(zip(centres.tolist(), contexts.tolist(), strict=True)) == expected


def test_sgd_step_is_autograds_gradient_of_the_summed_loss(ns) -> None:
    """The training loop's hand-written step moves every row by -lr x autograd's gradient of the
    summed loss of the graded SkipGramNS, repeated rows (1 and 7 here) adding their steps."""
    import torch

    torch.manual_seed(0)
    model = ns["SkipGramNS"](10, 6, sparse=False).double()
    torch.nn.init.normal_(model.out_embed.weight)
    before = [p.detach().clone() for p in model.parameters()]
    centers, contexts = torch.tensor([1, 2, 1, 7]), torch.tensor([4, 5, 6, 7])
    negatives = torch.tensor([[7, 8, 1], [9, 0, 0], [1, 7, 3], [2, 2, 5]])
    loss = model(centers, contexts, negatives)
    (len(centers) * loss).backward()
    reported = ns["sgns_sgd_step"](model, centers, contexts, negatives, 0.3)
    assert reported == pytest.approx(loss.item(), rel=1e-12)
    for p, old in zip(model.parameters(), before, strict=True):
        torch.testing.assert_close(p.detach() - old, -0.3 * p.grad, rtol=1e-12, atol=1e-14)


def test_noise_table_draws_from_the_noise_distribution(ns) -> None:
    import torch

    counts = np.array([900, 300, 40, 7, 5, 5])
    table = ns["noise_table"](counts, size=100_000)
    assert table.dtype == torch.int64 and len(table) == 100_000
    share = np.bincount(table.numpy(), minlength=len(counts)) / len(table)
    np.testing.assert_allclose(share, ns["negative_sampling_distribution"](counts), atol=2e-5)
