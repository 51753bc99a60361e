"""Train the week-8 miniGPT on Shakespeare: one process, or data-parallel under torchrun.

The model, batching, schedule and training step are the ones in `bert_gpt.ipynb` next to this
file: `load_notebook` executes the notebook's imports, functions and classes (not its demos,
checks or `train`/`gpu-extra` cells), so a finished notebook trains here unchanged.

    python train_gpt.py                                   # nanoGPT's CPU config, 2000 steps
    torchrun --standalone --nproc_per_node=2 train_gpt.py --iters 1000 --batch-size 6

Under torchrun every process draws its own batches (seed + rank) and DistributedDataParallel
averages the gradients across processes during `backward`, so all replicas take the same step
and stay identical; the effective batch is batch_size * world_size. Backend: gloo on CPU,
nccl on CUDA. Rank 0 logs, evaluates and writes the checkpoint.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import nbformat
import torch
import torch.distributed as dist

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE / "bert_gpt.ipynb"
SKIP_TAGS = {"train", "gpu-extra"}
DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)


def load_notebook(path: Path = NOTEBOOK) -> dict[str, Any]:
    """The notebook's imports, functions and classes, executed into a fresh namespace."""
    nb = nbformat.read(str(path), as_version=4)
    ns: dict[str, Any] = {"__name__": "bert_gpt_notebook"}
    for index, cell in enumerate(nb.cells):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.cell_type != "code" or tags & SKIP_TAGS or "check(" in cell.source:
            continue
        tree = ast.parse(cell.source)
        keep = [node for node in tree.body if isinstance(node, DEFINITIONS) and not _not_needed(node)]
        if keep:
            exec(compile(ast.Module(body=keep, type_ignores=[]), f"{path.name}[{index}]", "exec"), ns)
    return ns


def _not_needed(node: ast.stmt) -> bool:
    """Imports the training code does not need: the course's check() and plotting."""
    if isinstance(node, ast.ImportFrom):
        names = [node.module or ""]
    elif isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        return False
    return any(name.split(".")[0] in ("coursekit", "matplotlib") for name in names)


def find_data(name: str = "shakespeare/input.txt") -> Path:
    """data/<name> next to this file (a release) or in a folder above it (the course source)."""
    for folder in (HERE, *HERE.parents):
        if (folder / "data" / name).is_file():
            return folder / "data" / name
    raise FileNotFoundError(f"data/{name} not found next to {HERE} or above it")


def state_hash(model: torch.nn.Module) -> str:
    """SHA-256 of every parameter and buffer, in name order: equal hashes, equal replicas."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--iters", type=int, default=2000)
    p.add_argument("--batch-size", type=int, default=12, help="per process")
    p.add_argument("--block-size", type=int, default=64)
    p.add_argument("--n-layer", type=int, default=4)
    p.add_argument("--n-head", type=int, default=4)
    p.add_argument("--d-model", type=int, default=128)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--min-lr", type=float, default=1e-4)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--clip", type=float, default=1.0)
    p.add_argument("--eval-every", type=int, default=250, help="0: evaluate only at the end")
    p.add_argument("--eval-iters", type=int, default=20)
    p.add_argument("--final-eval-iters", type=int, default=200)
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--threads", type=int, default=0,
                   help="torch threads per process; 0: 1 under torchrun, else torch's default")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--data", type=Path, default=None, help="the corpus; default data/shakespeare/input.txt")
    p.add_argument("--out", type=Path, default=Path("minigpt_ddp.pt"), help="checkpoint (rank 0); '' to skip")
    p.add_argument("--hash-dir", type=Path, default=None, help="each rank writes rank<r>.json with its weights' hash")
    p.add_argument("--sample", type=int, default=300, help="characters to sample at the end (rank 0)")
    return p.parse_args(argv)


def train(args: argparse.Namespace) -> dict[str, Any]:
    """Train as configured; returns rank 0's figures (steps, seconds, tokens/s, val loss)."""
    distributed = "WORLD_SIZE" in os.environ and int(os.environ["WORLD_SIZE"]) > 1
    use_cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    rank, world, local_rank = 0, 1, 0
    if distributed:
        rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
        local_rank = int(os.environ.get("LOCAL_RANK", 0))
        dist.init_process_group("nccl" if use_cuda else "gloo")
    device = torch.device(f"cuda:{local_rank}" if use_cuda else "cpu")
    if use_cuda:
        torch.cuda.set_device(device)
    threads = args.threads or (1 if distributed else 0)
    if threads:
        torch.set_num_threads(threads)
    master = rank == 0

    ns = load_notebook()
    text = (args.data or find_data()).read_text(encoding="ascii")
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    n = int(0.9 * len(data))
    train_data, val_data = data[:n], data[n:]

    config = dict(vocab_size=len(chars), block_size=args.block_size, n_layer=args.n_layer, n_head=args.n_head,
                  d_model=args.d_model, dropout=args.dropout)
    torch.manual_seed(args.seed)  # the same initial weights on every rank (DDP also broadcasts rank 0's)
    model = ns["GPT"](**config).to(device)
    raw_model = model
    if distributed:
        model = torch.nn.parallel.DistributedDataParallel(model, device_ids=[local_rank] if use_cuda else None)
    optimizer = ns["make_optimizer"](raw_model, lr=args.lr, weight_decay=args.weight_decay)
    batch_gen = torch.Generator().manual_seed(args.seed + rank)  # different batches on every rank

    def evaluate(iters: int) -> float:
        return ns["estimate_loss"](raw_model, val_data.to(device) if use_cuda else val_data, args.block_size,
                                   args.batch_size, iters)

    if master:
        params = sum(p.numel() for p in raw_model.parameters())
        print(f"miniGPT {params / 1e6:.2f}M parameters | {world} process(es) on {device} | "
              f"batch {args.batch_size}x{world} | {args.iters} steps", flush=True)
    start = time.perf_counter()
    for step in range(args.iters):
        for group in optimizer.param_groups:
            group["lr"] = ns["cosine_lr"](step, args.warmup, args.iters, args.lr, args.min_lr)
        x, y = ns["get_batch"](train_data, args.block_size, args.batch_size, batch_gen)
        loss = ns["train_step"](model, optimizer, (x.to(device), y.to(device)), args.clip)
        if master and args.eval_every and ((step + 1) % args.eval_every == 0 or step == 0):
            print(f"step {step + 1:5d} | loss {loss:.4f} | val {evaluate(args.eval_iters):.4f} | "
                  f"lr {optimizer.param_groups[0]['lr']:.2e} | {time.perf_counter() - start:.0f} s", flush=True)
    seconds = time.perf_counter() - start

    if args.hash_dir is not None:
        args.hash_dir.mkdir(parents=True, exist_ok=True)
        record = {"rank": rank, "world_size": world, "hash": state_hash(raw_model), "last_loss": loss}
        (args.hash_dir / f"rank{rank}.json").write_text(json.dumps(record))
    results: dict[str, Any] = {}
    if master:
        tokens = args.iters * args.batch_size * args.block_size * world
        results = {"steps": args.iters, "seconds": seconds, "tokens_per_s": tokens / seconds, "world_size": world}
        if args.final_eval_iters:
            results["val_loss"] = evaluate(args.final_eval_iters)
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in results.items()}), flush=True)
        if str(args.out) not in ("", "."):
            torch.save({"config": config, "model": raw_model.state_dict()}, args.out)
            print(f"checkpoint: {args.out} (load with torch.load(..., weights_only=True))", flush=True)
        if args.sample:
            itos = dict(enumerate(chars))
            start_ids = torch.tensor([[stoi["\n"]]], device=device)
            out = ns["generate"](raw_model.eval(), start_ids, args.sample, temperature=0.8,
                                 generator=torch.Generator(device=device).manual_seed(0))
            print("".join(itos[int(i)] for i in out[0]))
    if distributed:
        dist.barrier()
        dist.destroy_process_group()
    return results


def main(argv: list[str] | None = None) -> None:
    train(parse_args(argv))


if __name__ == "__main__":
    main()
