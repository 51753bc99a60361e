import io
import zipfile

import numpy as np
import pytest
import torch

from coursekit.arrays import load_npz, save_npz, to_array


def test_to_array_accepts_tensors_numbers_and_refuses_objects():
    assert to_array(torch.ones(2, dtype=torch.bfloat16)).dtype == np.float32
    assert to_array(3).shape == () and to_array(True).dtype == np.bool_
    with pytest.raises(TypeError):
        to_array("text")
    with pytest.raises(TypeError):
        to_array([object()])


def test_tensor_subclass_becomes_plain_array():
    class Liar(torch.Tensor):
        def __eq__(self, other):
            return True

    out = to_array(torch.zeros(3).as_subclass(Liar))
    assert type(out) is np.ndarray and not out.any()


def test_npz_roundtrip_is_byte_identical(tmp_path):
    arrays = {"b/x": np.arange(5.0), "a/y": np.eye(2, dtype=bool), "c/scalar": to_array(2.5)}
    save_npz(tmp_path / "one.npz", arrays)
    save_npz(tmp_path / "two.npz", dict(reversed(list(arrays.items()))))
    assert (tmp_path / "one.npz").read_bytes() == (tmp_path / "two.npz").read_bytes()
    loaded = load_npz(tmp_path / "one.npz")
    assert set(loaded) == set(arrays) and np.array_equal(loaded["b/x"], arrays["b/x"])
    assert loaded["c/scalar"].shape == ()


def test_load_npz_refuses_pickles_and_bombs(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError):
        load_npz(path)
    big = tmp_path / "big.npz"
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.zeros(1_000_000))
    with zipfile.ZipFile(big, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("x.npy", buffer.getvalue())
    with pytest.raises(ValueError, match="over the"):
        load_npz(big, max_bytes=1000)
