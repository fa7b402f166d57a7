"""Helpers for the sigconv.nn tests: a finite-difference gradient check in float64, and running the
same op in torch (where installed) to compare values and gradients."""

import numpy as np

import sigconv


def numeric_grad(f, arrays, i, eps=1e-6):
    """Central differences of the scalar f(*arrays) with respect to arrays[i]."""
    x = arrays[i]
    g = np.zeros_like(x)
    flat = x.reshape(-1)
    gf = g.reshape(-1)
    for j in range(flat.size):
        old = flat[j]
        flat[j] = old + eps
        up = f(*arrays)
        flat[j] = old - eps
        down = f(*arrays)
        flat[j] = old
        gf[j] = (up - down) / (2 * eps)
    return g


def weighted_numeric_grad(f, x, g, eps=1e-6):
    """d sum(f(x) * g) / dx by central differences (``x`` is perturbed in place and restored)."""
    return numeric_grad(lambda v: np.sum(f(v) * g), [x], 0, eps)


def gradcheck(fn, *arrays, wrt=None, rtol=1e-5, atol=1e-7, seed=0):
    """Compare autograd's gradients of sum(w * fn(*tensors)) with central differences (float64).

    ``arrays`` are float64 numpy arrays (ints pass through as constants); ``wrt`` lists the indices
    to differentiate (default: every float array).
    """
    arrays = [np.array(a) for a in arrays]
    if wrt is None:
        wrt = [i for i, a in enumerate(arrays) if a.dtype == np.float64]
    tensors = [sigconv.tensor(a, requires_grad=i in wrt) for i, a in enumerate(arrays)]
    out = fn(*tensors)
    w = np.random.default_rng(seed).standard_normal(out.shape)
    (out * sigconv.tensor(w)).sum().backward()

    def scalar(*arrs):
        with sigconv.no_grad():
            o = fn(*[sigconv.tensor(a) for a in arrs])
        return float((o.numpy() * w).sum())

    for i in wrt:
        num = numeric_grad(scalar, arrays, i)
        got = tensors[i].grad
        assert got is not None, f"no gradient reached input {i}"
        np.testing.assert_allclose(got.numpy(), num, rtol=rtol, atol=atol, err_msg=f"gradient of input {i}")
    return out
