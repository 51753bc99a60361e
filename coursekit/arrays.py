"""Probe outputs as plain numpy arrays, stored in pickle-free, byte-reproducible .npz files."""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from coursekit.files import atomic_path

ALLOWED_KINDS = "biuf"  # bool, signed/unsigned int, float: nothing that needs pickle
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # fixed zip timestamps so regenerated releases are identical
CENTRAL_ENTRY = b"PK\x01\x02"  # starts every entry of a zip's directory: their count bounds its members
ENCRYPTED = 0x1  # zip flag bit
READ_CHUNK = 1 << 20


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


def load_npz(source: Path | BinaryIO | bytes, max_bytes: int | None = None,
             max_members: int | None = None) -> dict[str, np.ndarray]:
    """Read an .npz without unpickling or trusting it: ValueError says what it refuses (a corrupt
    zip raises zipfile's or zlib's own errors).

    Every member must be a plain, unencrypted .npy of an allowed dtype whose header agrees with
    its size; headers are read before anything is allocated, and `max_bytes` bounds the total
    (so each member) decompressed size. `max_members` bounds the zip's directory: with bytes it
    is checked before the directory is read, since a 64 MB directory costs seconds and 300 MB.
    """
    name = getattr(source, "name", "outputs")
    if isinstance(source, bytes):
        if max_members is not None and source.count(CENTRAL_ENTRY) > max_members:
            raise ValueError(f"{name} holds more than {max_members} arrays")
        source = io.BytesIO(source)
    with zipfile.ZipFile(source) as archive:
        members = _members(archive.infolist(), name, max_bytes, max_members)
        return {key: _read_member(archive, info, f"{name}: {key}") for key, info in members.items()}


def _members(infos: list[zipfile.ZipInfo], name: str, max_bytes: int | None,
             max_members: int | None) -> dict[str, zipfile.ZipInfo]:
    """Each member's array name and entry, once the zip's directory is found plain and small enough."""
    if max_members is not None and len(infos) > max_members:
        raise ValueError(f"{name} holds {len(infos)} arrays, over the limit of {max_members}")
    size = sum(info.file_size for info in infos)
    if max_bytes is not None and size > max_bytes:  # refuse a zip bomb before inflating it
        raise ValueError(f"{name} holds {size} bytes, over the {max_bytes}-byte limit")
    members = {}
    for info in infos:
        key = info.filename.removesuffix(".npy")
        if key == info.filename or not key or key in members:
            raise ValueError(f"{name}: {info.filename!r} is not one plain .npy member")
        if info.flag_bits & ENCRYPTED or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ValueError(f"{name}: {key} is encrypted or compressed in an unusual way")
        members[key] = info
    return members


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> np.ndarray:
    """One member's array: its header is checked against the member's size before the array exists."""
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"{where}: .npy format version {version} is not supported")
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read_header(member)
        if dtype.kind not in ALLOWED_KINDS:  # structured, object and sub-array dtypes are kind "V" or "O"
            raise ValueError(f"{where} has dtype {dtype}")
        count = math.prod(shape)  # Python ints: a claimed shape cannot overflow
        if any(n < 0 for n in shape) or count * dtype.itemsize != info.file_size - member.tell():
            raise ValueError(f"{where}: its header (shape {shape}, {dtype}) does not match its {info.file_size} bytes")
        array = np.empty(count, dtype=dtype)
        _fill(member, array.view(np.uint8), where)
    return array.reshape(shape, order="F" if fortran else "C")


def _fill(member: BinaryIO, buffer: np.ndarray, where: str) -> None:
    """Read exactly len(`buffer`) bytes into it, a chunk at a time (no second copy of the array)."""
    done = 0
    while done < len(buffer):
        chunk = member.read(min(len(buffer) - done, READ_CHUNK))
        if not chunk:
            raise ValueError(f"{where} is cut short")
        buffer[done:done + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
        done += len(chunk)


def group(arrays: Mapping[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    """The entries under `prefix/`, with the prefix removed."""
    start = prefix + "/"
    return {k[len(start):]: v for k, v in arrays.items() if k.startswith(start)}
