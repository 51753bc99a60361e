"""Week 9's reference functions agree with the field's formulations (the benchmark's independent
forms: transformers' causal-LM loss, TRL's log-probs and sigmoid DPO loss, and the paper's formula),
and the template puts each special token in as a single id. Runs the notebook's non-training cells
(seconds)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("week09_bench", ROOT / "benchmarks" / "week09_instructions.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ns(bench):
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        torch.set_num_threads(1)
        yield bench.load_notebook()


def test_template_special_tokens_are_single_ids(ns) -> None:
    text = ns["format_example"]("Reverse this word.", "ember", "rebme")
    ids = ns["encode"](text)
    assert ids[0] == ns["USER_ID"] and ids[-1] == ns["EOS_ID"] and ns["ASSISTANT_ID"] in ids
    assert len(ids) == len("Reverse this word.\nember") + len("rebme") + 3
    assert ns["decode"](ids) == text


def test_dpo_loss_is_the_papers_sigmoid_form(ns, bench) -> None:
    gen = torch.Generator().manual_seed(0)
    four = [torch.randn(64, generator=gen, dtype=torch.float64) * 5 - 30 for _ in range(4)]
    beta = 0.1
    loss, chosen, rejected = ns["dpo_loss"](*four, beta)
    paper = -torch.log(torch.sigmoid(beta * ((four[0] - four[2]) - (four[1] - four[3])))).mean()
    trl = bench.trl_dpo_loss(*four, beta)
    assert torch.allclose(loss, paper, rtol=1e-12, atol=0) and torch.allclose(loss, trl[0], rtol=1e-12, atol=0)
    assert torch.allclose(chosen, trl[1]) and torch.allclose(rejected, trl[2])


def test_sft_and_sequence_logprob_match_the_field(ns, bench) -> None:
    model = ns["base"]
    rows = ns["sft_rows"][:16]
    batch = ns["collate"]([ns["pair"](r) for r in rows], ns["PAD_ID"], ns["EOS_ID"], model.block_size)
    with torch.no_grad():
        logits = model(batch[0])
        assert torch.allclose(ns["sft_loss"](model, batch), bench.hf_causal_lm_loss(logits, batch[1]), rtol=1e-5)
        ours = ns["sequence_logprob"](model, batch[0], batch[1])[0]
        assert torch.allclose(ours, bench.trl_sequence_logps(logits, batch[1]), rtol=1e-5)


def test_base_model_does_not_answer(ns) -> None:
    """Before SFT the model continues text: next to no exact answers in the template."""
    scores = ns["evaluate"](ns["base"], ns["eval_small"])
    assert max(scores[(split, "all")] for split in ns["SPLITS"]) <= 0.1
