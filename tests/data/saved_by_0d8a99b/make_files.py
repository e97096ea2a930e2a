import warnings

import numpy as np

import liger

out = "tests/data/saved_by_0d8a99b"
warnings.simplefilter("ignore")
ds = liger.load_example()
tr, va, te = ds.train, ds.valid, ds.test
n = 400
L, X = tr.L[:n], tr.X[:n]
outputs = {}
m = liger.Liger().fit(L, X, va.L, va.X, va.y)
m.save(f"{out}/Liger.npz")
outputs["Liger"] = m.predict_proba(te.L[:50], te.X[:50])
lm = liger.LabelModel().fit(L)
lm.save(f"{out}/LabelModel.npz")
outputs["LabelModel"] = lm.predict_proba(te.L[:50])
mv = liger.MajorityVoter().fit(L)
mv.save(f"{out}/MajorityVoter.npz")
outputs["MajorityVoter"] = mv.predict_proba(te.L[:50])
em = liger.EndModel(random_state=0, penalties=[1e-3, 1e-2]).fit(X, lm.predict_proba(L), va.X, va.y)
em.save(f"{out}/EndModel.npz")
outputs["EndModel"] = em.predict_proba(te.X[:50])
np.savez(f"{out}/expected.npz", **outputs)
