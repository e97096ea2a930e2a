"""Regenerate the example dataset bundled in ``python/liger/data/<name>/`` from a WRENCH folder.

Usage::

    python scripts/make_example.py                       # youtube from ../shared/data/youtube
    python scripts/make_example.py --src /path/to/wrench/youtube --name youtube

Writes ``data.npz`` (votes and labels int8, embeddings float16, per split; compressed),
``texts.json.gz`` (split -> list of texts) and ``meta.json`` (class and LF names, sources and
licences). ``liger.load_example(name)`` reads them back.
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

import numpy as np

from liger.datasets import SPLITS, load_wrench

REPO = Path(__file__).resolve().parents[1]

SOURCES = {
    "youtube": {
        "description": "YouTube comment spam (0 HAM, 1 SPAM), 10 labeling functions.",
        "source": (
            "WRENCH benchmark YouTube set (https://github.com/JieyuZ2/wrench, Apache-2.0), "
            "built on the UCI YouTube Spam Collection (Alberto, Lochter & Almeida 2015, "
            "https://archive.ics.uci.edu/dataset/380, CC BY 4.0)."
        ),
        "embeddings": (
            "all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0), "
            "model.encode(texts, normalize_embeddings=True); stored as float16, "
            "re-normalised to unit rows on load."
        ),
        "licence": "Data CC BY 4.0 (UCI YouTube Spam Collection); WRENCH LFs/splits Apache-2.0.",
    },
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--name", default="youtube", choices=sorted(SOURCES))
    ap.add_argument("--src", type=Path, default=None, help="WRENCH folder (default: shared data)")
    ap.add_argument("--out", type=Path, default=None, help="default: python/liger/data/<name>")
    args = ap.parse_args()
    src = args.src or REPO.parent / "shared" / "data" / args.name
    out = args.out or REPO / "python" / "liger" / "data" / args.name
    out.mkdir(parents=True, exist_ok=True)

    ds = load_wrench(src, embeddings="minilm")
    # int8 is exact for votes in -1..K-1 and labels 0..K-1 as long as K <= 127.
    assert ds.n_classes <= 127
    arrays = {}
    for s in SPLITS:
        sp = ds[s]
        arrays[f"L_{s}"] = sp.L.astype(np.int8)
        arrays[f"y_{s}"] = sp.y.astype(np.int8)
        arrays[f"X_{s}"] = sp.X.astype(np.float16)
    np.savez_compressed(out / "data.npz", **arrays)

    texts = {s: ds[s].texts for s in SPLITS}
    blob = json.dumps(texts, ensure_ascii=False).encode("utf-8")
    # mtime=0 keeps the file byte-identical across regenerations.
    (out / "texts.json.gz").write_bytes(gzip.compress(blob, compresslevel=9, mtime=0))

    meta = {
        "name": args.name,
        "class_names": ds.class_names,
        "lf_names": ds.lf_names,
        "sizes": {s: ds[s].n for s in SPLITS},
        **SOURCES[args.name],
        "generated_by": "scripts/make_example.py",
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    total = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    print(f"wrote {out} ({total / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
