"""Feature matrices on the training device and their per-step batch gathers.

Every adapter appends one padding row (index ``pad_row``) that padded batch slots point to:
an empty sparse row, a zero dense row, or an all-padding token row.

``nnz_of(rows_host)`` is a host-side hint for ``gather``, computed from host copies so that no
device->host sync is needed: the sparse adapter keeps the CSR arrays on the device and gathers a
step's rows there, the hint being the step's total number of non-zeros (``repeat_interleave``'s
output size); the token adapter's hint is the step's width (trailing all-padding columns are cut);
the dense adapter needs none (0).

On the CPU the sparse adapter gathers with scipy instead (one C++ row slice, no per-step
temporaries of the non-zeros' size), and transposes a batch for the first layer's gradient with
scipy's counting sort (``csr_tocsc``, called on the batch's own arrays in 32-bit indices, as MKL's
sparse product wants them): the same arrays as the device path, at a tenth of its cost (measured
in benchmarks/README.md, "bound.py").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch

# scipy's C++ csr -> csc counting sort (what csr_matrix.tocsc calls), called directly: the public
# path adds ~3 ms of format checks and int64 copies per step at M = 32 (benchmarks/README.md)
from scipy.sparse import _sparsetools


@dataclass
class SparseBatch:
    """Rows of a stacked batch in flat bag form: model m's columns are offset by m * V."""

    cols: torch.Tensor  # (nnz,) int64 in [0, M * V)
    vals: torch.Tensor  # (nnz,) float
    offsets: torch.Tensor  # (M * R,) start of each row's bag
    seg: torch.Tensor | None  # (nnz,) int64 bag (flat row) of each non-zero (device path)
    shape: tuple[int, int]  # (M, R)
    n_cols: int  # M * V
    # CPU path: the batch's CSR (indptr (M*R + 1,), cols (nnz,)) in one index dtype, int32
    # where M * V and nnz fit, for scipy's counting sort
    host: tuple[np.ndarray, np.ndarray] | None = None

    def transposed(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """X_b^T as CSR arrays (crow (M*V + 1,), bag index per non-zero, value), each column's
        non-zeros in bag order (a stable sort by column): what the first layer's gradient
        X_b^T @ g needs. No device sync (no bincount/max) on CUDA. The index dtype is int64,
        or int32 on the CPU path where the sizes fit."""
        if self.host is not None:  # csr -> csc is a stable counting sort
            indptr, cols = self.host
            n_rows = self.shape[0] * self.shape[1]
            vals = self.vals.numpy()
            crow = np.empty(self.n_cols + 1, dtype=cols.dtype)
            bags = np.empty(cols.size, dtype=cols.dtype)
            out = np.empty_like(vals)
            _sparsetools.csr_tocsc(n_rows, self.n_cols, indptr, cols, vals, crow, bags, out)
            return torch.from_numpy(crow), torch.from_numpy(bags), torch.from_numpy(out)
        n = self.cols.numel()
        order = torch.argsort(self.cols, stable=True)
        crow = torch.zeros(self.n_cols + 1, dtype=torch.int64, device=self.cols.device)
        crow.scatter_add_(
            0, self.cols + 1, torch.ones(n, dtype=torch.int64, device=self.cols.device)
        )
        torch.cumsum(crow, 0, out=crow)
        return crow, self.seg[order], self.vals[order]


class SparseInput:
    """CSR matrix on device; gathers stacked batches as flat bags for embedding_bag."""

    kind = "sparse"

    def __init__(self, X: sp.spmatrix, device: torch.device, dtype: torch.dtype) -> None:
        X = sp.csr_matrix(X)
        if not X.has_sorted_indices:  # sorted_indices() copies: never mutate the caller's matrix
            X = X.sorted_indices()
        self.n_rows, self.dim = X.shape
        self.pad_row = self.n_rows
        indptr = np.append(X.indptr.astype(np.int64), X.indptr[-1])  # empty pad row
        self.lens_host = np.diff(indptr)
        self.crow = torch.as_tensor(indptr, device=device)
        self.col = torch.as_tensor(X.indices.astype(np.int64), device=device)
        self.val = torch.as_tensor(X.data, device=device, dtype=dtype)
        self.device = device
        self.host = None
        if device.type == "cpu":  # values already in the training dtype: a slice is a batch
            data = self.val.numpy()
            self.host = sp.csr_matrix((data, X.indices, indptr), shape=(self.pad_row + 1, self.dim))

    def nnz_of(self, rows_host: np.ndarray) -> int:
        return int(self.lens_host[rows_host].sum())

    def gather(self, rows: torch.Tensor, total: int) -> SparseBatch:
        """rows: (M, R) int64 on device; total: their number of non-zeros (host-computed)."""
        M, R = rows.shape
        if self.host is not None:
            return self._gather_host(rows.numpy(), total)
        flat = rows.reshape(-1)
        starts = self.crow[flat]
        lens = self.crow[flat + 1] - starts
        offsets = torch.cumsum(lens, 0) - lens
        seg = torch.repeat_interleave(
            torch.arange(M * R, device=self.device), lens, output_size=total
        )
        idx = starts[seg] + torch.arange(total, device=self.device) - offsets[seg]
        cols = self.col[idx] + torch.div(seg, R, rounding_mode="floor") * self.dim
        return SparseBatch(
            cols=cols, vals=self.val[idx], offsets=offsets, seg=seg, shape=(M, R),
            n_cols=M * self.dim,
        )  # fmt: skip

    def _gather_host(self, rows: np.ndarray, total: int) -> SparseBatch:
        M, R = rows.shape
        sub = self.host[rows.reshape(-1)]  # fresh arrays, ours to change
        small = max(M * self.dim, sub.nnz) < np.iinfo(np.int32).max
        index = np.int32 if small else np.int64
        indptr = sub.indptr.astype(index, copy=False)
        cols = sub.indices.astype(index, copy=False)
        bounds = indptr[::R]  # model m's non-zeros: cols[bounds[m]:bounds[m + 1]]
        for m in range(1, M):  # M slices (M <= 64 on CPU): faster than one np.repeat
            cols[bounds[m] : bounds[m + 1]] += m * self.dim
        return SparseBatch(
            cols=torch.from_numpy(cols.astype(np.int64)), vals=torch.from_numpy(sub.data),
            offsets=torch.from_numpy(indptr[:-1].astype(np.int64)), seg=None, shape=(M, R),
            n_cols=M * self.dim, host=(indptr, cols),
        )  # fmt: skip


class DenseInput:
    """Dense float matrix on device (with a zero pad row); batches are (M, R, V) gathers."""

    kind = "dense"

    def __init__(
        self, X: np.ndarray | sp.spmatrix, device: torch.device, dtype: torch.dtype
    ) -> None:
        arr = X.toarray() if sp.issparse(X) else np.asarray(X)
        if arr.ndim != 2:
            raise ValueError(f"features must be 2-D (documents x features), got shape {arr.shape}")
        self.n_rows, self.dim = arr.shape
        self.pad_row = self.n_rows
        self.X = torch.zeros((self.n_rows + 1, self.dim), device=device, dtype=dtype)
        self.X[: self.n_rows] = torch.as_tensor(arr, dtype=dtype).to(device)

    def nnz_of(self, rows_host: np.ndarray) -> int:
        return 0

    def gather(self, rows: torch.Tensor, total: int = 0) -> torch.Tensor:
        return self.X[rows]


class TokenInput:
    """Token-id matrix (N, L) int64, 0 = padding, for the sequence encoders.

    A batch is cut after its last column that holds a real token (at least 1 column): trailing
    all-padding columns change nothing (the encoders mask padding) but cost LSTM steps. The width
    comes from host-side per-row lengths, so the encoder need not find it on the device.
    """

    kind = "tokens"

    def __init__(self, X: np.ndarray, device: torch.device) -> None:
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise ValueError(f"token features must be 2-D (documents x positions), got {arr.shape}")
        if arr.size and arr.min() < 0:
            raise ValueError("token features contain a negative id; expected ids >= 0, 0 = padding")
        self.n_rows, self.dim = arr.shape
        self.pad_row = self.n_rows
        self.X = torch.zeros((self.n_rows + 1, self.dim), dtype=torch.int64, device=device)
        self.X[: self.n_rows] = torch.as_tensor(arr.astype(np.int64)).to(device)
        # per row: 1 + column of its last real token (0 = no real token); then the pad row
        last = ((arr != 0) * np.arange(1, self.dim + 1)).max(axis=1, initial=0)
        self.width_host = np.append(last, 0).astype(np.int64)

    def nnz_of(self, rows_host: np.ndarray) -> int:
        """Width of the batch of these rows: 1 + its last column holding a real token, >= 1."""
        return max(1, int(self.width_host[rows_host].max())) if rows_host.size else 1

    def gather(self, rows: torch.Tensor, total: int | None = None) -> torch.Tensor:
        """rows: (M, R) int64 on device -> (M, R, total) ids; total from ``nnz_of`` (None = all)."""
        return self.X[rows] if total is None else self.X[rows, :total]
