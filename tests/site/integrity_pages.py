"""Pages of the fixture site that are not the whole story: paywalled, truncated, JavaScript shells and
consent interstitials, in several languages (integrity flags, cleaners/flags.py).

Served by tests/http_server.py under ``/integrity/NAME.html``; the golden cases
``tests/golden/html/*_paywall*.html`` and friends are copies of some of them (so the core is tested on
the same markup without a server). ``EXPECTED`` says what a correct cleaner makes of each.
"""

from __future__ import annotations

import json
from html import escape

_EN_STORY = [
    "The city council voted on Tuesday to close the old harbour bridge to cars from next spring, after "
    "engineers found that corrosion had weakened two of its four main supports.",
    "Buses, cyclists and pedestrians will still be allowed to cross while a replacement is designed. The "
    "council expects the new bridge to open within five years and to cost about 40 million pounds.",
    "Shop owners on the eastern bank said they feared losing customers during the works, and asked the "
    "council to keep a temporary ferry running on weekends.",
]
_FR_STORY = [
    "Le conseil municipal a voté mardi la fermeture du vieux pont du port aux voitures à partir du "
    "printemps prochain, après que des ingénieurs ont découvert que la corrosion avait affaibli deux piliers.",
    "Les bus, les cyclistes et les piétons pourront toujours traverser pendant la conception d'un nouvel "
    "ouvrage. La ville espère l'ouvrir d'ici cinq ans, pour un coût d'environ quarante millions d'euros.",
    "Les commerçants de la rive est craignent de perdre des clients pendant les travaux et demandent le "
    "maintien d'un bac temporaire le week-end.",
]
_DE_TEASER = [
    "Der Stadtrat hat am Dienstag beschlossen, die alte Hafenbrücke ab dem kommenden Frühjahr für Autos zu "
    "sperren, nachdem Ingenieure Korrosion an zwei der vier Hauptstützen gefunden hatten. Busse, Radfahrer "
    "und Fußgänger dürfen die Brücke weiter nutzen.",
]
_DE_FULL = " ".join(
    [
        _DE_TEASER[0],
        "Eine neue Brücke soll in fünf Jahren fertig sein und rund vierzig Millionen Euro kosten. "
        "Geschäftsleute am Ostufer fürchten, während der Bauarbeiten Kunden zu verlieren, und fordern eine "
        "Fähre am Wochenende. Der Bürgermeister sagte, man werde die Vorschläge prüfen und im Herbst "
        "entscheiden. Die Opposition kritisierte, dass die Stadt die Brücke jahrelang vernachlässigt habe. "
        "Gutachter hatten bereits vor zehn Jahren vor Schäden gewarnt, doch das Geld für eine Sanierung "
        "wurde immer wieder verschoben.",
    ]
    * 3
)
_ES_STORY = [
    "El ayuntamiento aprobó el martes cerrar al tráfico el viejo puente del puerto a partir de la próxima "
    "primavera, después de que los ingenieros detectaran corrosión en dos de sus cuatro pilares.",
    "Los autobuses, los ciclistas y los peatones podrán seguir cruzando mientras se diseña un puente nuevo, "
    "que costará unos cuarenta millones de euros y tardará cinco años en construirse.",
]


def _page(
    *,
    lang: str,
    title: str,
    paragraphs: list[str],
    head: str = "",
    body_before: str = "",
    body_after: str = "",
    article_class: str = "article-body",
) -> str:
    story = "\n".join(f"    <p>{escape(p)}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
  <meta charset="utf-8">
  <title>{escape(title)}</title>
{head}</head>
<body>
{body_before}  <article>
    <h1>{escape(title)}</h1>
    <div class="{article_class}">
{story}
    </div>
  </article>
{body_after}</body>
</html>
"""


def _ld(data: dict[str, object]) -> str:
    return f'  <script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>\n'


def en_paywall_jsonld() -> str:
    """JSON-LD says not free and promises 900 words; the text stops at a subscribe prompt."""
    title = "Council closes harbour bridge to cars"
    head = _ld(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": title,
            "isAccessibleForFree": False,
            "wordCount": 900,
            "hasPart": {"@type": "WebPageElement", "isAccessibleForFree": False, "cssSelector": ".locked"},
        }
    )
    return _page(
        lang="en",
        title=title,
        paragraphs=[*_EN_STORY, "Subscribe to continue reading"],
        head=head,
        article_class="article-body",
    )


def fr_paywall_prompt() -> str:
    """No JSON-LD: a paywall container and Le Monde-style "il vous reste N % de cet article à lire"."""
    return _page(
        lang="fr",
        title="Le vieux pont du port fermé aux voitures",
        paragraphs=[*_FR_STORY, "Il vous reste 72 % de cet article à lire. La suite est réservée aux abonnés."],
        article_class="article-body paywall",
    )


def de_js_shell() -> str:
    """A JavaScript shell: a teaser, an 'enable JavaScript' notice, the whole story in a script blob."""
    blob = json.dumps({"props": {"pageProps": {"article": {"body": _DE_FULL}}}}, ensure_ascii=False)
    return _page(
        lang="de",
        title="Hafenbrücke wird für Autos gesperrt",
        paragraphs=_DE_TEASER,
        body_before="  <noscript>Bitte JavaScript aktivieren, um diesen Artikel vollständig zu lesen.</noscript>\n",
        body_after=f'  <script id="__NEXT_DATA__" type="application/json">{blob}</script>\n',
    )


def es_truncated() -> str:
    """Free, no prompt, but the JSON-LD promises 1200 words and the page has a fraction of them."""
    title = "El puente del puerto se cierra al tráfico"
    head = _ld({"@context": "https://schema.org", "@type": "NewsArticle", "headline": title, "wordCount": 1200})
    return _page(lang="es", title=title, paragraphs=_ES_STORY, head=head)


def en_consent_wall() -> str:
    """A consent interstitial served instead of the story."""
    return _page(
        lang="en",
        title="Before you continue to example news",
        paragraphs=[
            "Before you continue to example.news",
            "We and our partners use cookies and data to deliver and maintain our services and measure "
            "audience engagement.",
            "If you choose to accept all, we will also use cookies to personalise ads.",
            "Accept all",
            "Reject all",
            "More options",
        ],
    )


def de_consent_wall() -> str:
    """A German consent platform's page (the form posts to a consent host)."""
    return _page(
        lang="de",
        title="Bevor Sie zu beispiel.de weitergehen",
        paragraphs=[
            "Bevor Sie zu beispiel.de weitergehen",
            "Wir und unsere Partner verwenden Cookies und Daten, um Dienste bereitzustellen und Werbung zu "
            "personalisieren.",
            "Alle akzeptieren",
            "Alle ablehnen",
        ],
        body_after='  <form method="post" action="https://consent.beispiel.de/save"><button>OK</button></form>\n',
    )


def en_free_story() -> str:
    """A control: a free story with JSON-LD isAccessibleForFree true and an honest word count."""
    title = "Harbour bridge closure approved"
    head = _ld({"@context": "https://schema.org", "@type": "NewsArticle", "isAccessibleForFree": True, "wordCount": 95})
    return _page(lang="en", title=title, paragraphs=_EN_STORY, head=head)


PAGES = {
    "en_paywall_jsonld": en_paywall_jsonld,
    "fr_paywall_prompt": fr_paywall_prompt,
    "de_js_shell": de_js_shell,
    "es_truncated": es_truncated,
    "en_consent_wall": en_consent_wall,
    "de_consent_wall": de_consent_wall,
    "en_free_story": en_free_story,
}

#: name -> the record's flags, or "consent_wall" for a page that must be rejected as such.
EXPECTED: dict[str, list[str] | str] = {
    "en_paywall_jsonld": ["paywalled", "truncated"],
    "fr_paywall_prompt": ["paywalled"],
    "de_js_shell": ["js_required"],
    "es_truncated": ["truncated"],
    "en_consent_wall": "consent_wall",
    "de_consent_wall": "consent_wall",
    "en_free_story": [],
}


def render(name: str) -> str | None:
    page = PAGES.get(name)
    return page() if page else None
