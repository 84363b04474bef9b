#!/usr/bin/env python3
"""Writes backprop_cases.json: forward intermediates, loss and gradients of the two-layer net in float64,
computed by PyTorch autograd, and cross-checked against scikit-learn's MLPClassifier backprop (same loss
convention: alpha is lambda, the L2 term is alpha/(2m) ||W||^2). The xunit tests read the JSON; this script
is only needed to regenerate it:  /usr/bin/python3 tests/reference/make_reference.py
"""
import json, os
import numpy as np
import torch

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(20261128)


def case(name, m, d, h, c, lam, scale=1.0):
    X = rng.normal(size=(m, d)) * scale
    y = rng.integers(0, c, size=m)
    W1 = rng.normal(size=(d, h)) * 0.5
    b1 = rng.normal(size=h) * 0.1
    W2 = rng.normal(size=(h, c)) * 0.5
    b2 = rng.normal(size=c) * 0.1
    t = {k: torch.tensor(v, requires_grad=k in ("W1", "b1", "W2", "b2")) for k, v in
         dict(X=X, W1=W1, b1=b1, W2=W2, b2=b2).items()}
    Hpre = t["X"] @ t["W1"] + t["b1"]
    A = torch.relu(Hpre)
    Z = A @ t["W2"] + t["b2"]
    P = torch.softmax(Z, dim=1)
    data = torch.nn.functional.cross_entropy(Z, torch.tensor(y))
    reg = lam / (2 * m) * ((t["W1"] ** 2).sum() + (t["W2"] ** 2).sum())
    loss = data + reg
    loss.backward()
    out = dict(name=name, m=m, d=d, h=h, c=c, lam=lam, X=X.tolist(), y=y.tolist(),
               W1=W1.tolist(), b1=b1.tolist(), W2=W2.tolist(), b2=b2.tolist(),
               Hpre=Hpre.detach().numpy().tolist(), A=A.detach().numpy().tolist(),
               Z=Z.detach().numpy().tolist(), P=P.detach().numpy().tolist(),
               dataLoss=data.item(), regLoss=reg.item(), loss=loss.item(),
               dW1=t["W1"].grad.numpy().tolist(), db1=t["b1"].grad.numpy().tolist(),
               dW2=t["W2"].grad.numpy().tolist(), db2=t["b2"].grad.numpy().tolist())
    if c >= 3:
        sk_check(out, X, y, W1, b1, W2, b2, lam)
    return out


def sk_check(out, X, y, W1, b1, W2, b2, lam):
    """scikit-learn's own backprop must agree (it is the convention MlpTools promises)."""
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import LabelBinarizer
    m, c = X.shape[0], W2.shape[1]
    clf = MLPClassifier(hidden_layer_sizes=(W1.shape[1],), alpha=lam, activation="relu")
    clf.n_outputs_ = c
    clf.n_layers_ = 3
    clf.out_activation_ = "softmax"
    Y = LabelBinarizer().fit(np.arange(c)).transform(y).astype(np.float64)
    coefs, inters = [W1.copy(), W2.copy()], [b1.copy(), b2.copy()]
    acts = [X] + [np.empty((m, W1.shape[1])), np.empty((m, c))]
    deltas = [np.empty_like(a) for a in acts[1:]]
    cg = [np.empty_like(w) for w in coefs]
    ig = [np.empty_like(b) for b in inters]
    clf.coefs_, clf.intercepts_ = coefs, inters
    loss, cg, ig = clf._backprop(X, Y, acts, deltas, cg, ig)
    assert abs(loss - out["loss"]) <= 1e-12 * abs(loss), (loss, out["loss"])
    for mine, theirs in ((out["dW1"], cg[0]), (out["dW2"], cg[1]), (out["db1"], ig[0]), (out["db2"], ig[1])):
        assert np.allclose(np.array(mine), theirs, rtol=1e-11, atol=1e-15)


cases = [
    case("tiny", 3, 2, 3, 3, 0.0),
    case("regularized", 7, 5, 4, 3, 0.3),
    case("single-sample", 1, 4, 6, 5, 1e-2),
    case("wide", 16, 10, 12, 4, 1e-3),
    case("binary", 9, 3, 5, 2, 0.5),
    case("dead-units", 12, 6, 8, 3, 0.05, scale=0.2),
]
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "backprop_cases.json")
with open(path, "w") as f:
    json.dump(cases, f, indent=1)
print("wrote", path, len(cases), "cases")
