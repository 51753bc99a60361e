"""Probe outputs as plain numpy arrays, stored in pickle-free, byte-reproducible .npz files."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from coursekit.files import atomic_path

ALLOWED_KINDS = "biuf"  # bool, signed/unsigned int, float: nothing that needs pickle
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # fixed zip timestamps so regenerated releases are identical


def to_array(value: Any) -> np.ndarray:
    """A probe output as an array of bools, ints or floats; anything else is refused."""
    try:
        import torch
    except ImportError:  # mentees' check() works without torch for numpy-only weeks
        torch = None
    if torch is not None and isinstance(value, torch.Tensor):
        tensor = value.detach().cpu()
        if tensor.dtype in (torch.bfloat16, torch.float16):
            tensor = tensor.float()
        value = tensor.numpy()
    array = np.asarray(value)
    if array.dtype.kind not in ALLOWED_KINDS:
        raise TypeError(f"unsupported output type {type(value).__name__} with dtype {array.dtype}")
    return np.array(array, copy=True)  # plain ndarray, detached from any subclass or buffer


def save_npz(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Write arrays to `path` atomically; same arrays give the same bytes."""
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key in sorted(arrays):
            buffer = io.BytesIO()
            array = np.asarray(arrays[key])
            contiguous = np.ascontiguousarray(array).reshape(array.shape)  # keeps 0-d arrays 0-d
            np.lib.format.write_array(buffer, contiguous, allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())


def load_npz(path: Path | BinaryIO, max_bytes: int | None = None) -> dict[str, np.ndarray]:
    """Read an .npz (a path or an open binary file) without ever unpickling; refuses files over
    `max_bytes` and odd dtypes."""
    name = getattr(path, "name", "outputs")
    if max_bytes is not None:
        with zipfile.ZipFile(path) as archive:  # refuse a zip bomb before inflating it
            size = sum(info.file_size for info in archive.infolist())
        if size > max_bytes:
            raise ValueError(f"{name} holds {size} bytes, over the {max_bytes}-byte limit")
    arrays = {}
    with np.load(path, allow_pickle=False) as archive:
        for key in archive.files:
            array = archive[key]
            if array.dtype.kind not in ALLOWED_KINDS:
                raise ValueError(f"{name}: {key} has dtype {array.dtype}")
            arrays[key] = array
    return arrays


def group(arrays: Mapping[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    """The entries under `prefix/`, with the prefix removed."""
    start = prefix + "/"
    return {k[len(start):]: v for k, v in arrays.items() if k.startswith(start)}
