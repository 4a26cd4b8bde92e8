"""Train the page-type model (cleaners/models/page_type.json) and print how it was trained and how it scores.

    .venv/bin/python -m bench.train_page_type            # retrain, print figures, write the model
    .venv/bin/python -m bench.train_page_type --check    # print figures of the shipped model, write nothing

Data: the WCXB development split (1,497 pages, 793 articles and 704 of six other kinds), the scrapinghub
development half (92 articles) and the Fundus corpus (80 news articles), all outside the project (see
``bench/_page_type_data.py``). Each page's text and metadata are trafilatura's default extraction, as the
runtime classifier gets presswash's (close to it).

Two L2-regularized logistic regressions (scikit-learn, used here only), on standardized features:
1. article or not, trained on every page; the threshold is chosen on the out-of-fold scores of a 5-fold
   cross-validation grouped by site (a site's pages never sit on both sides): the highest threshold that
   keeps ``--keep`` of the articles of each corpus;
2. which kind of non-article (listing, product, forum, documentation, service, collection), trained on the
   WCXB non-articles.
Everything is deterministic: no shuffling, a fixed fold assignment (GroupKFold), the lbfgs solver.
The figures printed are in-sample (the model trained on everything) and cross-validated (each page
scored by the model trained on the folds without its site), with the threshold fixed as chosen.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from trafilatura.utils import load_html

from bench._corpus import PROJECT_ROOT, BenchDataMissing
from bench._page_type_data import Page, load_pages
from cleaners.page_type import NON_ARTICLE_KINDS, classify_page, load_model, page_features

MODEL_PATH = PROJECT_ROOT / "cleaners" / "models" / "page_type.json"

# The features the article model uses: what the page declares, its structure, its text, its URL. Chosen by
# backward elimination on the grouped cross-validation's ROC AUC (flat at 0.979-0.980 from 39 features down
# to about 20), then the declared types that name a non-article kind (forum posting, collection) and the
# published-time meta put back: they explain themselves and cost nothing; repeated <article>/<time>
# elements (a list of teasers) added after.
ARTICLE_FEATURES = (
    "ld_article",
    "ld_product",
    "ld_forum",
    "ld_listing",
    "ld_service",
    "og_article",
    "og_product",
    "meta_published",
    "has_author",
    "text_share",
    "best_block_share",
    "block_concentration",
    "long_paragraphs",
    "headings_per_kchar",
    "title_words",
    "price_markup",
    "cta_markup",
    "forum_markup",
    "code_blocks",
    "form_fields",
    "url_date",
    "url_slug_words",
    "url_short",
    "url_product",
    "url_docs",
    "url_forum",
    "repeated_articles",
    "repeated_times",
)
# The kind model uses every feature: telling a listing from a product page needs more than article-or-not.
KIND_FEATURES = (
    *ARTICLE_FEATURES,
    "ld_docs",
    "ld_published",
    "og_website",
    "has_published",
    "has_title",
    "title_question",
    "article_elements",
    "time_elements",
    "linked_headings",
    "page_p_share",
    "best_block",
    "text_chars",
    "paragraphs",
    "mean_paragraph",
    "sentence_share",
    "short_line_share",
    "cart_markup",
    "card_markup",
    "product_markup",
    "text_prices",
    "url_listing",
)
FOLDS = 5
# Below this probability of its most likely kind, a non-article is labelled "other".
MIN_KIND_PROBABILITY = 0.4


def featurize(pages: list[Page]) -> list[dict[str, float]]:
    out = []
    for page in pages:
        tree = load_html(page.html)
        out.append(
            page_features(
                tree, url=page.url, text=page.text, title=page.title, published=page.published, authors=page.authors
            )
        )
    return out


def timing(pages: list[Page]) -> str:
    """classify_page's time per page (the tree already parsed), beside parsing the page, for scale."""
    started = time.perf_counter()
    trees = [load_html(page.html) for page in pages]
    parse = time.perf_counter() - started
    started = time.process_time()
    for page, tree in zip(pages, trees, strict=True):
        classify_page(
            tree, url=page.url, text=page.text, title=page.title, published=page.published, authors=page.authors
        )
    cpu = time.process_time() - started
    n = len(pages)
    return f"classify_page {cpu / n * 1000:.2f} ms CPU per page; load_html {parse / n * 1000:.2f} ms wall per page"


def matrix(rows: list[dict[str, float]], names: tuple[str, ...]) -> np.ndarray:
    return np.array([[row[n] for n in names] for row in rows], dtype=float)


class Linear:
    """Standardize, then logistic regression: what the runtime model does, with sklearn to fit it."""

    def __init__(self, names: tuple[str, ...], c: float) -> None:
        self.names, self.c = names, c

    def fit(self, x: np.ndarray, y: np.ndarray) -> Linear:
        self.mean = x.mean(axis=0)
        self.scale = x.std(axis=0)
        self.scale[self.scale == 0] = 1.0
        self.model = LogisticRegression(C=self.c, max_iter=5000, class_weight="balanced")
        self.model.fit((x - self.mean) / self.scale, y)
        return self

    def proba(self, x: np.ndarray) -> np.ndarray:
        return self.model.predict_proba((x - self.mean) / self.scale)

    def to_json(self) -> dict:
        classes = [str(c) for c in self.model.classes_]
        coef, intercept = self.model.coef_, self.model.intercept_
        if len(classes) == 2:  # binary: one score for the positive class
            classes = classes[1:]
        return {
            "features": list(self.names),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "classes": classes,
            "coef": [[round(float(v), 6) for v in row] for row in coef],
            "intercept": [round(float(v), 6) for v in intercept],
        }


def out_of_fold(names, c, x, y, groups, fit_mask=None) -> np.ndarray:
    """Each page's probabilities from the model trained on the folds that do not hold its site."""
    fit_mask = np.ones(len(y), dtype=bool) if fit_mask is None else fit_mask
    result = None
    for train, test in GroupKFold(n_splits=FOLDS).split(x, y, groups):
        train = train[fit_mask[train]]
        model = Linear(names, c).fit(x[train], y[train])
        proba = model.proba(x[test])
        if result is None:
            result = np.zeros((len(y), proba.shape[1]))
        result[test] = proba
    return result


def figures(pages: list[Page], score: np.ndarray, threshold: float) -> dict[str, tuple[int, int]]:
    """(recognised, total) per corpus and kind: articles kept, other kinds labelled not-article."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for page, s in zip(pages, score, strict=True):
        key = f"{page.corpus} {page.page_type}"
        ok = (s >= threshold) if page.page_type == "article" else (s < threshold)
        out[key][0] += int(ok)
        out[key][1] += 1
        if page.page_type != "article":
            out[f"{page.corpus} non-article"][0] += int(ok)
            out[f"{page.corpus} non-article"][1] += 1
    return {k: (v[0], v[1]) for k, v in sorted(out.items())}


def choose_threshold(pages: list[Page], score: np.ndarray, keep: float) -> float:
    """The highest threshold that keeps at least ``keep`` of the articles of every corpus."""
    best = 1.0
    for corpus in sorted({p.corpus for p in pages}):
        s = np.sort([v for p, v in zip(pages, score, strict=True) if p.corpus == corpus and p.page_type == "article"])
        allowed = int(np.floor(len(s) * (1 - keep)))  # articles that may fall below
        best = min(best, float(s[allowed]))
    return float(np.floor(best * 1000) / 1000)


def print_figures(title: str, table: dict[str, tuple[int, int]]) -> None:
    print(title)
    for key, (ok, n) in table.items():
        what = "kept as article" if key.endswith(" article") else "recognised as not article"
        print(f"  {key:28s} {ok:4d}/{n:<4d} {ok / n:6.1%}  {what}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--c", type=float, default=0.03, help="inverse L2 strength of the article model")
    parser.add_argument("--kind-c", type=float, default=0.3, help="inverse L2 strength of the kind model")
    parser.add_argument("--keep", type=float, default=0.99, help="share of each corpus's articles kept (OOF)")
    parser.add_argument("--check", action="store_true", help="score the shipped model, write nothing")
    args = parser.parse_args(argv)
    try:
        pages = load_pages()
    except BenchDataMissing as exc:
        print(f"page-type training skipped: {exc}", file=sys.stderr)
        return 1
    if args.check:
        model = load_model()
        scores = [
            classify_page(
                load_html(p.html), url=p.url, text=p.text, title=p.title, published=p.published, authors=p.authors
            ).article_score
            for p in pages
        ]
        print_figures(f"shipped model, threshold {model.threshold}:", figures(pages, scores, model.threshold))
        print(timing(pages))
        return 0
    started = time.perf_counter()
    rows = featurize(pages)
    print(
        f"{len(pages)} pages featurized in {time.perf_counter() - started:.1f}s: {Counter(p.page_type for p in pages)}"
    )

    groups = np.array([p.group for p in pages])
    y = np.array([int(p.page_type == "article") for p in pages])
    x = matrix(rows, ARTICLE_FEATURES)
    print(f"{len(set(groups))} sites; {FOLDS}-fold cross-validation grouped by site")

    oof = out_of_fold(ARTICLE_FEATURES, args.c, x, y, groups)[:, 1]
    threshold = choose_threshold(pages, oof, args.keep)
    model = Linear(ARTICLE_FEATURES, args.c).fit(x, y)
    insample = model.proba(x)[:, 1]
    print(f"article model: logistic regression, L2 C={args.c}, balanced classes, {len(ARTICLE_FEATURES)} features")
    print(f"threshold {threshold} (highest keeping >= {args.keep:.1%} of each corpus's articles, out-of-fold)")
    wcxb = np.array([p.corpus == "wcxb" for p in pages])
    articles = np.sort(oof[wcxb & (y == 1)])
    print("trade-off, out-of-fold on WCXB (articles kept -> non-articles recognised, threshold):")
    for keep in (0.995, 0.99, 0.98, 0.97, 0.95, 0.90):
        t = articles[int(np.floor(len(articles) * (1 - keep)))]
        print(f"  {keep:.1%} -> {float(np.mean(oof[wcxb & (y == 0)] < t)):.1%}  (threshold {t:.3f})")
    cv_table = figures(pages, oof, threshold)
    print_figures("cross-validated (grouped by site):", cv_table)
    print_figures("in-sample:", figures(pages, insample, threshold))

    non = np.array([p.page_type in NON_ARTICLE_KINDS for p in pages])
    kinds = np.array([p.page_type for p in pages])
    xk = matrix(rows, KIND_FEATURES)
    kind_oof = out_of_fold(KIND_FEATURES, args.kind_c, xk, kinds, groups, fit_mask=non)
    kind_model = Linear(KIND_FEATURES, args.kind_c).fit(xk[non], kinds[non])
    classes = list(kind_model.model.classes_)

    def kind_labels(proba: np.ndarray) -> np.ndarray:
        labels = np.array(classes, dtype=object)[proba.argmax(axis=1)]
        labels[proba.max(axis=1) < MIN_KIND_PROBABILITY] = "other"
        return labels

    cv_kind = kind_labels(kind_oof)
    in_kind = kind_labels(kind_model.proba(xk))
    print(f"kind model: multinomial logistic regression, L2 C={args.kind_c}, on {int(non.sum())} non-articles")
    for name, predicted in (("cross-validated", cv_kind), ("in-sample", in_kind)):
        right = Counter(k for k, p in zip(kinds[non], predicted[non], strict=True) if k == p)
        total = Counter(kinds[non])
        other = int(np.sum(predicted[non] == "other"))
        print(f"  kind right, {name}: {sum(right.values())}/{int(non.sum())}, 'other' {other}", end="")
        print("  (" + ", ".join(f"{k} {right[k]}/{total[k]}" for k in sorted(total)) + ")")

    weights = sorted(zip(ARTICLE_FEATURES, model.model.coef_[0], strict=True), key=lambda t: -abs(t[1]))
    print("article model weights (standardized features, + means article):")
    print("  " + ", ".join(f"{n} {w:+.2f}" for n, w in weights))

    data = {
        "about": (
            "presswash page-type model, written by bench/train_page_type.py: logistic regressions on "
            "standardized features of cleaners/page_type.py; see the training output for its figures"
        ),
        "trained_on": {k: int(v) for k, v in sorted(Counter(f"{p.corpus} {p.page_type}" for p in pages).items())},
        "cv_figures": {k: list(v) for k, v in cv_table.items()},
        "threshold": threshold,
        "min_kind_probability": MIN_KIND_PROBABILITY,
        "article": {**model.to_json(), "c": args.c},
        "kind": {**kind_model.to_json(), "c": args.kind_c},
    }
    MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    MODEL_PATH.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {MODEL_PATH.relative_to(PROJECT_ROOT)} ({MODEL_PATH.stat().st_size} bytes)")
    load_model.cache_clear()
    print(timing(pages))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
