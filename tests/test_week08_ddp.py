"""Week 8's train_gpt.py under torchrun: two CPU processes (gloo) end with identical weights."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "source" / "week08_bert_gpt" / "train_gpt.py"
TINY = ["--iters", "6", "--batch-size", "4", "--block-size", "16", "--n-layer", "1", "--n-head", "2",
        "--d-model", "16", "--warmup", "2", "--eval-every", "0", "--final-eval-iters", "2", "--sample", "0",
        "--threads", "1", "--device", "cpu"]


def run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    result = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result


@pytest.mark.skipif(not SCRIPT.is_file(), reason="week 8 source not present")
def test_two_ranks_end_identical(tmp_path: Path) -> None:
    hashes = tmp_path / "hashes"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(SCRIPT),
           *TINY, "--hash-dir", str(hashes), "--out", str(tmp_path / "ddp.pt")]
    result = run(cmd, tmp_path)
    records = [json.loads((hashes / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["world_size"] for r in records] == [2, 2]
    assert records[0]["hash"] == records[1]["hash"], "DDP replicas diverged"
    assert records[0]["last_loss"] != records[1]["last_loss"], "both ranks saw the same batches"
    assert '"world_size": 2' in result.stdout

    import torch

    checkpoint = torch.load(tmp_path / "ddp.pt", weights_only=True)
    assert checkpoint["config"]["n_layer"] == 1 and "tok_emb.weight" in checkpoint["model"]

