import numpy as np
import pytest
import torch
from sklearn.metrics import f1_score

from mtl_pipeline.training.losses import masked_cross_entropy
from mtl_pipeline.training.metrics import f1_scores


@pytest.mark.parametrize("n_classes", [2, 3])
def test_f1_matches_sklearn(n_classes):
    rng = np.random.default_rng(0)
    M, N = 7, 40
    pred = rng.integers(0, n_classes, (M, N))
    lab = rng.integers(0, n_classes, (M, N))
    lab[:, -5:] = -1  # padding must be ignored
    pred[3] = 0  # a model predicting one class only (zero-division case)
    pos = rng.integers(0, n_classes, M)
    acc, f1, macro = f1_scores(
        torch.as_tensor(pred), torch.as_tensor(lab), n_classes, torch.as_tensor(pos)
    )
    for m in range(M):
        y, p = lab[m, :-5], pred[m, :-5]
        assert acc[m].item() == pytest.approx((y == p).mean())
        bin_ref = f1_score(y == pos[m], p == pos[m], zero_division=0)
        assert f1[m].item() == pytest.approx(bin_ref)
        assert macro[m].item() == pytest.approx(f1_score(y, p, average="macro", zero_division=0))


def test_masked_loss_equals_loss_on_labelled_rows():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 10, 2, generator=g, dtype=torch.float64)
    labels = torch.randint(0, 2, (3, 10), generator=g)
    labels[0, ::2] = -1
    labels[2] = -1  # nothing labelled → 0, not NaN
    loss, count = masked_cross_entropy(logits, labels)
    for m in range(2):
        keep = labels[m] >= 0
        ref = torch.nn.functional.cross_entropy(logits[m][keep], labels[m][keep])
        assert loss[m].item() == pytest.approx(ref.item())
    assert loss[2].item() == 0.0 and count.tolist() == [5, 10, 0]
    # unlabelled rows get no gradient
    lg = logits.clone().requires_grad_(True)
    masked_cross_entropy(lg, labels)[0].sum().backward()
    assert torch.all(lg.grad[0, ::2] == 0) and torch.all(lg.grad[2] == 0)
