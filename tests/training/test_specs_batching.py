import numpy as np
import pytest

from mtl_pipeline.training import ModelJob, ModelSpec, TaskSplit, TrainSpec
from mtl_pipeline.training.batching import ChunkScheduler


def _task(name, n, offset=0, label=None):
    rows = np.arange(offset, offset + n)
    lab = np.arange(n) % 2 if label is None else np.full(n, label)
    return TaskSplit(name, rows, lab, rows[:3], lab[:3])


def test_spec_validation_names_the_problem():
    with pytest.raises(ValueError, match="'t'.*train_labels contains 5"):
        TaskSplit("t", [0, 1], [0, 5], [2], [0])
    with pytest.raises(ValueError, match="train_rows has 2 entries but train_labels has 1"):
        TaskSplit("t", [0, 1], [0], [2], [0])
    with pytest.raises(ValueError, match="kind 'stl' needs exactly one task"):
        ModelJob("m", "stl", 0, (_task("a", 4), _task("b", 4)))
    with pytest.raises(ValueError, match="schedule"):
        TrainSpec(schedule="nope")
    with pytest.raises(ValueError, match="activation"):
        ModelSpec(activation="gelu")


def test_joint_epoch_passes_once_through_largest_task_and_cycles_smaller():
    big, small = _task("big", 70), _task("small", 20, offset=100)
    job = ModelJob("m", "mtl", 3, (big, small))
    sch = ChunkScheduler([job], "joint", 32, pad_row=999)
    for _ in range(3):
        plan = sch.next_epoch()
        S, M, R = plan.rows.shape
        assert (S, M, R) == (3, 1, 64)
        big_rows = plan.rows[:, 0, :32].ravel()
        big_rows = big_rows[big_rows != 999]
        assert sorted(big_rows) == list(range(70))  # exactly once per epoch
        small_rows = plan.rows[:, 0, 32:].ravel()
        small_rows = small_rows[small_rows != 999]
        assert small_rows.size == 70 and set(small_rows) == set(range(100, 120))
        # labels only in the column of the task whose slot the row is in
        assert np.all(plan.labels[:, 0, :32, 1] == -1) and np.all(plan.labels[:, 0, 32:, 0] == -1)
        assert plan.update.all()


def test_shorter_model_gets_masked_padded_steps_and_same_order_as_alone():
    a = ModelJob("a", "stl", 1, (_task("x", 100),))
    b = ModelJob("b", "stl", 2, (_task("y", 40),))
    both = ChunkScheduler([a, b], "joint", 16, pad_row=999)
    alone = ChunkScheduler([b], "joint", 16, pad_row=999)
    for _ in range(2):
        p2, p1 = both.next_epoch(), alone.next_epoch()
        assert p2.rows.shape[0] == 7 and p1.rows.shape[0] == 3
        np.testing.assert_array_equal(p2.rows[:3, 1], p1.rows[:, 0])
        assert np.all(p2.rows[3:, 1] == 999) and np.all(p2.labels[3:, 1] == -1)
        assert not p2.update[3:, 1].any() and p2.update[:, 0].all()


def test_pooled_labels_come_from_each_tasks_split():
    t1 = TaskSplit("t1", np.array([0, 1, 2]), np.array([1, 0, 1]), np.array([9]), np.array([0]))
    t2 = TaskSplit("t2", np.array([2, 3]), np.array([0, 0]), np.array([9]), np.array([0]))
    sch = ChunkScheduler([ModelJob("m", "mtl", 0, (t1, t2))], "pooled", 8, pad_row=99)
    plan = sch.next_epoch()
    got = {int(r): tuple(plan.labels[0, 0, i]) for i, r in enumerate(plan.rows[0, 0]) if r != 99}
    assert got == {0: (1, -1), 1: (0, -1), 2: (1, 0), 3: (-1, 0)}


@pytest.mark.parametrize("schedule", ["alternating", "proportional"])
def test_one_task_per_step_schedules_update_only_that_head(schedule):
    job = ModelJob("m", "mtl", 5, (_task("a", 64), _task("b", 32, offset=100)))
    plan = ChunkScheduler([job], schedule, 16, pad_row=999).next_epoch()
    upd = plan.update[:, 0]
    assert upd[:, 0].all() and np.all(upd[:, 1] ^ upd[:, 2])
    for s in range(upd.shape[0]):
        t = 0 if upd[s, 1] else 1
        assert np.all(plan.labels[s, 0, :, 1 - t] == -1) and np.all(plan.labels[s, 0, :, t] >= 0)
    if schedule == "alternating":
        assert upd[:, 1].tolist() == [True, False] * 4
    else:
        assert upd.shape[0] == 6  # ceil(64/16) + ceil(32/16) steps
