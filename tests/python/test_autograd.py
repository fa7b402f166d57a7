"""sigconv.Tensor and its reverse-mode autograd: finite-difference checks in float64 (always run),
graph shapes (reuse, residual), no_grad, errors."""

import numpy as np
import pytest

import sigconv
from _nncheck import gradcheck


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def test_tensor_basics():
    t = sigconv.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert t.dtype == np.float32 and t.shape == (2, 2) and t.device == "cpu"
    assert sigconv.tensor([1, 2]).dtype == np.int64
    assert sigconv.tensor(np.zeros(3)).dtype == np.float64  # numpy arrays keep their dtype
    assert t.sum().item() == 10.0
    assert t.numpy() is t.numpy()
    src = np.ones(3)
    c = sigconv.tensor(src)
    src[0] = 5
    assert c.numpy()[0] == 1.0  # tensor() copies


@pytest.mark.parametrize(
    "name, fn",
    [
        ("add_broadcast", lambda a, b: a + b),
        ("sub_broadcast", lambda a, b: a - b),
        ("mul_broadcast", lambda a, b: a * b),
        ("div", lambda a, b: a / (b * b + 1.0)),
        ("pow_tensor", lambda a, b: (a * a + 1.0) ** b),
        ("reversed_scalars", lambda a, b: 2.0 - a * 3.0 + 1.0 / (b * b + 1.0) + 2.0**b),
        ("neg", lambda a, b: -a + b),
    ],
)
def test_binary_ops_gradients(rng, name, fn):
    a = rng.standard_normal((3, 4))
    b = rng.standard_normal((1, 4))
    gradcheck(fn, a, b)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x.exp(),
        lambda x: (x * x + 0.5).log(),
        lambda x: (x * x + 0.5).sqrt(),
        lambda x: x.abs(),
        lambda x: x.clamp(-0.5, 0.5),
        lambda x: x.relu(),
        lambda x: x.sigmoid(),
        lambda x: x.tanh(),
        lambda x: x ** 3,
    ],
)
def test_unary_ops_gradients(rng, fn):
    # away from the kinks of abs/clamp/relu
    x = rng.choice([-1, 1], (3, 5)) * rng.uniform(0.1, 2.0, (3, 5))
    x[np.abs(np.abs(x) - 0.5) < 0.05] += 0.1
    gradcheck(fn, x)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x.sum(),
        lambda x: x.sum(dim=1),
        lambda x: x.sum(dim=(0, 2), keepdim=True),
        lambda x: x.mean(),
        lambda x: x.mean(dim=-1, keepdim=True),
        lambda x: x.max(),
        lambda x: x.max(dim=1)[0],
        lambda x: x.min(dim=2, keepdim=True)[0],
        lambda x: x.var(dim=1),
    ],
)
def test_reductions_gradients(rng, fn):
    gradcheck(fn, rng.standard_normal((2, 3, 4)))


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x.reshape(4, 6),
        lambda x: x.view(-1),
        lambda x: x.flatten(1),
        lambda x: x.transpose(0, 2),
        lambda x: x.permute(2, 0, 1),
        lambda x: x.T,
        lambda x: x[1, :, ::2],
        lambda x: x[np.array([0, 1, 1]), 2],  # repeated rows: gradients add
        lambda x: x[x.detach() > 0],
        lambda x: x.unsqueeze(1).squeeze(1),
        lambda x: x[:, :1].expand(2, 3, 4),
        lambda x: sigconv.cat([x, x * 2], dim=1),
        lambda x: sigconv.stack([x[0], x[1]], dim=2),
    ],
)
def test_shape_ops_gradients(rng, fn):
    gradcheck(fn, rng.standard_normal((2, 3, 4)))


@pytest.mark.parametrize(
    "sa, sb",
    [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((1, 3, 4), (2, 4, 2))],
)
def test_matmul_gradients(rng, sa, sb):
    out = gradcheck(lambda a, b: a @ b, rng.standard_normal(sa), rng.standard_normal(sb))
    assert out.shape == np.matmul(np.zeros(sa), np.zeros(sb)).shape


def test_matmul_values(rng):
    a, b = rng.standard_normal((2, 3, 4)).astype(np.float32), rng.standard_normal((4, 5)).astype(np.float32)
    got = (sigconv.tensor(a) @ sigconv.tensor(b)).numpy()
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, a @ b, rtol=1e-5, atol=1e-5)


def test_reused_node_accumulates():
    # y = x*x + x*x + x ; dy/dx = 4x + 1, and x is used three times
    x = sigconv.tensor([1.0, -2.0], requires_grad=True)
    h = x * x
    y = (h + h + x).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, -7.0])


def test_residual_graph_and_deep_chain(rng):
    # residual block shape: out = f(x) + x, nested; and a chain deeper than Python's recursion limit
    def fn(x):
        h = x
        for _ in range(3):
            h = (h * 0.5).tanh() + h
        return h

    gradcheck(fn, rng.standard_normal((2, 3)))
    x = sigconv.tensor(np.ones(3), requires_grad=True)
    h = x
    for _ in range(3000):
        h = h + 0.0
    h.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(3))


def test_gradients_accumulate_across_backward_calls():
    x = sigconv.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0])


def test_backward_with_explicit_gradient():
    x = sigconv.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    y.backward(np.array([1.0, 0.5], np.float32))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_no_grad_and_detach():
    w = sigconv.tensor([1.0], requires_grad=True)
    with sigconv.no_grad():
        y = w * 2
    assert not y.requires_grad and sigconv.is_grad_enabled()
    assert not w.detach().requires_grad
    z = w.detach() * w
    z.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0])

    @sigconv.no_grad()
    def f(t):
        return t * 3

    assert not f(w).requires_grad


def test_requires_grad_():
    x = sigconv.tensor([1.0, 2.0]).requires_grad_()
    assert x.requires_grad and x.is_leaf
    with pytest.raises(TypeError, match="floating"):
        sigconv.tensor([1, 2]).requires_grad_()


def test_errors():
    x = sigconv.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar outputs"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        sigconv.tensor([1.0]).sum().backward()
    with pytest.raises(ValueError, match="shape"):
        (x * 2).backward(np.ones(3))
    with pytest.raises(ValueError, match="inner dimensions"):
        sigconv.tensor(np.ones((2, 3))) @ sigconv.tensor(np.ones((2, 3)))
    with pytest.raises(TypeError, match="floating"):
        sigconv.tensor([1, 2]) @ sigconv.tensor([1, 2])
    with pytest.raises(ValueError, match="one-element"):
        x.item()
    with pytest.raises(ValueError, match="device"):
        x.to("tpu")


def test_comparisons_and_dtype_conversion():
    x = sigconv.tensor([1.0, -1.0])
    assert (x > 0).numpy().tolist() == [True, False]
    assert x.double().dtype == np.float64 and x.long().dtype == np.int64
    assert x.to(np.float64).dtype == np.float64
    assert hash(x) == hash(x)  # __eq__ is elementwise, hashing by identity still works


def test_inputs_not_modified(rng):
    a = rng.standard_normal((3, 3))
    keep = a.copy()
    t = sigconv.tensor(a, requires_grad=True)
    ((t * 2).exp() @ t).sum().backward()
    np.testing.assert_array_equal(a, keep)


def test_fill_and_copy_refuse_what_is_not_a_number():
    t = sigconv.tensor(np.zeros(3, np.float32))
    for bad in (None, "1", [1, "a"]):
        with pytest.raises(TypeError, match="fill_: value must be a number"):
            t.fill_(bad)
    for bad in (None, "ab", np.array(["x", "y", "z"])):
        with pytest.raises(TypeError, match="copy_: src must be"):
            t.copy_(bad)
    assert np.all(t.numpy() == 0)
    t.fill_(True)
    assert np.all(t.numpy() == 1)
    t.copy_(np.arange(3))
    assert t.numpy().tolist() == [0, 1, 2]
    t.fill_(sigconv.tensor(np.array(4.0)))
    assert np.all(t.numpy() == 4)


@pytest.mark.parametrize("bad", ["a", None, [1, "x"], {1: 2}])
def test_arithmetic_refuses_what_is_not_numeric(bad):
    t = sigconv.tensor(np.ones(3, np.float32))
    for op in (lambda: t + bad, lambda: bad * t, lambda: t - bad, lambda: t / bad):
        with pytest.raises(TypeError, match="a Tensor operand must be a number"):
            op()
    np.testing.assert_array_equal(t.numpy(), np.ones(3, np.float32))
