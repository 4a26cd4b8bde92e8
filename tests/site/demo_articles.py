"""Hand-written articles and per-language clutter phrases of the demo news site.

This module is the single source of truth shared by the HTTP server (``tests/http_server.py``) and the
manifest builder (``tests/site/build_manifest.py``): tests compare crawler and cleaner output against the
manifest, so both must read the exact same text or the expectations would silently drift.

The prose is written by hand (not generated) because language detection, paragraph scoring and
near-duplicate detection all behave differently on lorem ipsum than on real news text. The people,
towns and events are fictional.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

SITE_NAME = "Presswash Demo Times"
SECTIONS: tuple[str, ...] = ("world", "tech", "europe")
SECTION_TITLES: dict[str, str] = {"world": "World", "tech": "Tech", "europe": "Europe"}


@dataclass(frozen=True)
class Phrases:
    """Boilerplate in one language; templates pick from it so each page's clutter matches its language."""

    cookie: str
    cookie_accept: str
    cookie_reject: str
    newsletter: str
    newsletter_fragments: tuple[str, ...]
    comments: str
    email_notice: str
    reader_comment: str
    related: str
    read_more: str
    also_read: str
    advertisement: str
    share: tuple[str, str, str]
    months: tuple[str, ...]
    by: str


PHRASES: dict[str, Phrases] = {
    "en": Phrases(
        cookie=(
            "We use cookies to improve your experience on our site. "
            "By continuing to browse, you agree to our use of cookies."
        ),
        cookie_accept="Accept all",
        cookie_reject="Manage preferences",
        newsletter=(
            "Subscribe to our newsletter for the day's top stories or Follow Google News to stay updated. Thank you..!!"
        ),
        newsletter_fragments=("Subscribe to our newsletter", "Follow Google News", "Thank you..!!"),
        comments="Leave a Reply",
        email_notice="Your email address will not be published.",
        reader_comment=(
            "Thanks for covering this story, it is rarely reported anywhere else. "
            "Please keep following it over the coming months."
        ),
        related="Related Posts",
        read_more="Read more:",
        also_read="Also Read:",
        advertisement="Advertisement",
        share=("Share on Facebook", "Tweet", "WhatsApp"),
        months=(
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
        by="By",
    ),
    "de": Phrases(
        cookie=(
            "Wir verwenden Cookies, um Ihnen die bestmögliche Nutzung unserer Website zu ermöglichen. "
            "Mit der weiteren Nutzung stimmen Sie dem zu."
        ),
        cookie_accept="Alle akzeptieren",
        cookie_reject="Alle ablehnen",
        newsletter=(
            "Abonnieren Sie unseren Newsletter oder folgen Sie uns auf Google News, "
            "um keine Nachricht zu verpassen. Vielen Dank!!"
        ),
        newsletter_fragments=("Abonnieren Sie unseren Newsletter", "folgen Sie uns auf Google News"),
        comments="Kommentar schreiben",
        email_notice="Ihre E-Mail-Adresse wird nicht veröffentlicht.",
        reader_comment=(
            "Danke für den Bericht, darüber liest man sonst kaum etwas. Bitte bleiben Sie an dem Thema dran."
        ),
        related="Ähnliche Beiträge",
        read_more="Lesen Sie auch:",
        also_read="Auch interessant:",
        advertisement="Anzeige",
        share=("Teilen auf Facebook", "Tweet", "WhatsApp"),
        months=(
            "Januar",
            "Februar",
            "März",
            "April",
            "Mai",
            "Juni",
            "Juli",
            "August",
            "September",
            "Oktober",
            "November",
            "Dezember",
        ),
        by="Von",
    ),
    "fr": Phrases(
        cookie=(
            "Nous utilisons des cookies pour améliorer votre expérience sur notre site. "
            "En poursuivant votre navigation, vous acceptez leur utilisation."
        ),
        cookie_accept="Tout accepter",
        cookie_reject="Tout refuser",
        newsletter=(
            "Abonnez-vous à notre newsletter ou suivez-nous sur Google News pour ne rien manquer "
            "de l'actualité. Merci !!"
        ),
        newsletter_fragments=("Abonnez-vous à notre newsletter", "suivez-nous sur Google News"),
        comments="Laisser un commentaire",
        email_notice="Votre adresse e-mail ne sera pas publiée.",
        reader_comment=(
            "Merci pour cet article, on en parle trop peu ailleurs. Continuez à suivre le sujet, s'il vous plaît."
        ),
        related="Articles similaires",
        read_more="À lire aussi :",
        also_read="Voir aussi :",
        advertisement="Publicité",
        share=("Partager sur Facebook", "Tweet", "WhatsApp"),
        months=(
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ),
        by="Par",
    ),
    "es": Phrases(
        cookie=(
            "Utilizamos cookies para mejorar su experiencia en nuestro sitio. Si continúa navegando, acepta su uso."
        ),
        cookie_accept="Aceptar todo",
        cookie_reject="Rechazar todo",
        newsletter=(
            "Suscríbete a nuestro boletín o síguenos en Google News para no perderte ninguna noticia. ¡¡Gracias!!"
        ),
        newsletter_fragments=("Suscríbete a nuestro boletín", "síguenos en Google News"),
        comments="Deja un comentario",
        email_notice="Tu dirección de correo electrónico no será publicada.",
        reader_comment=(
            "Gracias por el artículo, casi nadie habla de este tema. Por favor, sigan informando sobre ello."
        ),
        related="Artículos relacionados",
        read_more="Lee también:",
        also_read="Te puede interesar:",
        advertisement="Publicidad",
        share=("Compartir en Facebook", "Tweet", "WhatsApp"),
        months=(
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ),
        by="Por",
    ),
}

# Blogger themes ship their widget strings in English whatever the blog's language, residue included.
BLOGGER_COOKIE_RESIDUE = "#buttons=(Ok, Go it!) #days=(20)"
BLOGGER_COOKIE_TEXT = "Our website uses cookies to enhance your experience. Learn more"
BLOGGER_COOKIE_BUTTON = "Ok, Go it!"
BLOGGER_COMMENTS_TITLE = "Post a Comment (0)"
BLOGGER_COMMENTS_BUTTON = "Post a Comment"
BLOGGER_SIMILAR = "Similar Posts"
BLOGGER_CTA = "Subscribe Presswash Daily or Follow Google News to get the latest updates quickly. Thank you..!!"
BLOGGER_CTA_FRAGMENTS = ("Follow Google News", "Thank you..!!")
EMPTY_BYLINE = "By -"
FOOTER_COPYRIGHT = "© 2026 Presswash Demo Times. All rights reserved."


@dataclass(frozen=True)
class Article:
    """One hand-written article and the page quirks it is meant to exercise.

    Quirk flags live here rather than in the templates so the manifest can state them as expectations.
    """

    slug: str
    title: str
    language: str
    template: str
    section: str
    published: str
    authors: tuple[str, ...]
    description: str
    paragraphs: tuple[str, ...]
    tags: tuple[str, ...] = ()
    list_items: tuple[str, ...] = ()
    kind: str = "news"
    path: str = ""
    empty_byline: bool = False
    headline_in_body: bool = False
    intro_line: str = ""
    footer_line: str = ""
    syndicated_from: str = ""
    aliases: tuple[str, ...] = ()
    trap: str = ""
    failure: str = ""

    def __post_init__(self) -> None:
        if not self.path:
            dt = self.published_dt
            object.__setattr__(self, "path", f"/news/{dt.year:04d}/{dt.month:02d}/{self.slug}.html")

    @property
    def published_dt(self) -> datetime:
        return datetime.fromisoformat(self.published)


_NIGHT_TRAINS_PRINT = "/print/news/2025/11/night-trains-return-to-the-alps.html"

_FERRY_PARAGRAPHS: tuple[str, ...] = (
    "The harbour authority has approved plans for a new ferry terminal on the eastern quay, ending a "
    "two-year review that drew more than 1,200 public comments. The terminal will replace a cramped "
    "waiting hall built in the 1970s and is expected to handle up to 1.5 million passengers a year when "
    "it opens.",
    "The design includes a covered walkway to the railway station, a waiting area for 600 people and "
    "charging points for electric coaches. Ferries docking at the terminal will be able to connect to "
    "shore power, allowing them to switch off their diesel engines while in port, which the authority "
    "says will noticeably improve air quality in the old town.",
    "Residents of the streets nearest the quay had objected to earlier versions of the plan, which placed "
    "a multi-storey car park directly behind their homes. The revised design moves parking to a site next "
    "to the ring road and adds a shuttle bus, a change that most of the original objectors said they "
    "could accept.",
    "Construction is expected to cost about 95 million euros and will be funded by the harbour authority, "
    "the regional government and a loan from a European investment bank. Work should begin in the autumn "
    "and last around three years, during which ferries will continue to use the existing terminal.",
    "Ferry operators welcomed the decision, saying the old building was no longer fit for the number of "
    "passengers travelling in summer. On peak days, queues for foot passengers currently stretch out of "
    "the building and along the quay, and there is no sheltered space for people arriving by bicycle.",
    "The authority's chair, Niamh Gallagher, said the review had been longer than anyone wanted but had "
    'produced a better building. "We listened, we changed the plans, and we ended up with a terminal that '
    'the town can be proud of," she said at a press conference held on the quay.',
)

NEWS: tuple[Article, ...] = (
    Article(
        slug="coastal-towns-brace-for-spring-tides",
        title="Coastal towns brace for the highest spring tides in two decades",
        language="en",
        template="wordpress",
        section="world",
        published="2026-03-14T07:30:00+00:00",
        authors=("Martha Ellison",),
        description="Forecasters warn that a new moon, onshore winds and low pressure could push water "
        "levels in low-lying harbour towns to a twenty-year high.",
        tags=("climate", "coast", "flooding"),
        paragraphs=(
            "Residents of several low-lying coastal towns spent the weekend filling sandbags and moving "
            "furniture upstairs as forecasters warned that this month's spring tides could be the highest "
            "recorded in more than twenty years. The combination of a new moon, strong onshore winds and low "
            "atmospheric pressure is expected to push water levels well above normal.",
            "The regional flood agency said it had placed temporary barriers along the promenades of three "
            "harbour towns and opened emergency shelters in two schools. Officials stressed that most homes "
            "were not expected to flood, but urged people living within a few streets of the seafront to "
            "prepare an overnight bag and keep their phones charged.",
            "Harbour master Colin Reddy said fishing crews had been told to double their mooring lines and to "
            'stay in port from Tuesday evening until Thursday morning. "We have seen tides like this before, '
            'but never with a storm sitting right on top of them," he said, adding that the harbour walls had '
            "been inspected last autumn.",
            "Shop owners on the seafront were less sanguine. Several said they were still paying off repairs "
            "from a surge three winters ago, when seawater poured through doorways and ruined stock. One café "
            "owner said her insurer had since doubled the premium and introduced an excess so large that she "
            "now considered herself effectively uninsured.",
            "Climate scientists at the state university said the event was not unusual on its own, but warned "
            "that rising sea levels meant tides of this height would become routine within a generation. They "
            "pointed to tide gauge records showing that the average high-water mark in the region has risen "
            "by roughly fifteen centimetres since 1990.",
            "The agency will publish updated flood maps on Monday and has asked residents to report any damage "
            "through its website rather than by phone, so that emergency lines remain free. Volunteers from "
            "the local rowing club have offered to check on elderly neighbours who live alone near the water.",
        ),
    ),
    Article(
        slug="council-approves-rural-fibre-rollout",
        title="Council approves fibre broadband rollout for rural districts",
        language="en",
        template="wordpress",
        section="tech",
        published="2026-02-03T10:15:00+00:00",
        authors=("Daniel Okafor",),
        description="A 38 million euro network will connect more than four thousand homes and farms that "
        "still rely on slow copper lines.",
        tags=("broadband", "infrastructure"),
        paragraphs=(
            "The county council voted on Thursday to fund a fibre broadband network reaching more than four "
            "thousand homes and farms in its most remote districts, ending years of complaints about "
            "connections too slow to support remote work, online schooling or even reliable video calls with "
            "family members abroad.",
            "The scheme will cost an estimated 38 million euros, two thirds of which will come from a national "
            "infrastructure grant. The remaining share will be borrowed by the council and repaid over twenty "
            "years from a small levy on the wholesale price charged to internet providers that use the new "
            "network.",
            "Construction is due to begin in the spring, starting with villages where existing copper lines "
            "are in the worst condition. Engineers plan to run much of the cable along existing electricity "
            "poles to avoid digging up narrow lanes, a method the council says will cut both costs and "
            "disruption by nearly half.",
            "Farmers' representatives welcomed the decision, saying modern agriculture increasingly depends on "
            'data, from soil sensors to automated milking systems. "My milking robot sends alerts to a server '
            'in another country, and half the time it cannot get through," said dairy farmer Brigid Nolan, '
            "who spoke during the public session.",
            "Opposition councillors supported the plan but questioned the timetable, noting that a similar "
            "project in a neighbouring county had run two years late after disputes with landowners over "
            "access rights. The council's digital officer said agreements had already been signed with most "
            "of the landowners along the planned routes.",
            "Households will be able to check whether their address is included using a postcode search that "
            "goes live next month. The council expects the first connections to be switched on before the end "
            "of the year, with the full network completed within three years if the construction schedule "
            "holds.",
        ),
    ),
    Article(
        slug="corner-bakery-cookies-sell-out",
        title="Corner bakery sells out of its famous cookies within four hours",
        language="en",
        template="blogger",
        section="world",
        published="2025-12-06T09:00:00+00:00",
        authors=("Priya Natarajan",),
        description="A short video of a tray leaving the oven drew queues around the market square.",
        tags=("food", "local business"),
        empty_byline=True,
        trap="first-paragraph-mentions-cookies",
        paragraphs=(
            "Cookies from the Ashgrove Street bakery sold out within four hours on Saturday after a short "
            "video of the owner pulling a fresh tray from the oven was shared tens of thousands of times "
            "online. By mid-morning the queue stretched past the library and around the corner onto the "
            "market square.",
            "Owner Teresa Lindqvist, who opened the bakery eleven years ago with a second-hand oven and a loan "
            "from her brother, said she had baked three times her usual quantity after noticing the video on "
            'Friday night. "I thought I was being ambitious," she said. "By ten o\'clock I knew it would not '
            'be nearly enough."',
            "The brown butter and sea salt cookie at the centre of the attention has been on the menu since the "
            "shop opened. Lindqvist said the recipe had not changed, although she now buys her chocolate from "
            "a cooperative in Ecuador and uses flour milled at a farm roughly thirty kilometres from the town.",
            "Neighbouring businesses reported a welcome knock-on effect. The café across the road said it "
            "served more coffee before noon than on an ordinary Saturday, and the florist next door sold out "
            "of small bouquets that customers bought while they waited. The town's market manager described "
            "the day as the busiest since the summer festival.",
            "Not everyone was delighted. Several residents complained that cars parked on the pavement blocked "
            "wheelchair users and parents with prams, and the council sent two wardens to manage traffic in "
            "the early afternoon. Lindqvist apologised on the shop's noticeboard and promised to introduce a "
            "ticket system for the following weekend.",
            'She has no plans to open a second shop or to sell online. "People keep asking whether we ship," '
            'she said. "We do not. A cookie is best eaten on the day it is baked, ideally still warm, and '
            'preferably on the bench outside with whoever happened to be standing behind you in the queue."',
        ),
    ),
    Article(
        slug="five-settings-to-change-on-a-new-phone",
        title="Five settings worth changing on a new smartphone",
        language="en",
        template="blogger",
        section="tech",
        published="2026-01-19T16:45:00+00:00",
        authors=("Samuel Achterberg",),
        description="A few minutes in the settings menu can improve privacy, battery life and the odds of "
        "recovering a lost phone.",
        tags=("smartphones", "privacy"),
        empty_byline=True,
        headline_in_body=True,
        list_items=(
            "Turn on automatic software updates so security fixes are installed overnight.",
            "Enable the built-in device locator and test it once from another device.",
            "Review which apps may use your location, camera and microphone in the background.",
            "Set a screen lock PIN of at least six digits instead of a simple pattern.",
            "Switch off personalised ad tracking in the privacy section.",
        ),
        paragraphs=(
            "Most people set up a new phone in a hurry, tapping through the welcome screens so they can get "
            "back to their messages as quickly as possible. Security researchers and consumer advocates say "
            "that a few minutes spent adjusting the default settings afterwards can improve privacy, extend "
            "battery life and make a lost device far easier to recover.",
            "Manufacturers tend to ship phones with settings that favour convenience and data collection, "
            "partly because many of their services depend on advertising revenue. None of the changes below "
            "require technical knowledge, and every one of them can be reversed later from the main settings "
            "menu if it turns out to be inconvenient.",
            "Of these, automatic updates matter most. Researchers at a consumer testing organisation found "
            "that almost a third of the phones they examined were running software more than six months out "
            "of date, largely because owners had postponed update prompts that arrived at inconvenient "
            "moments and then forgot about them entirely.",
            "Location permissions deserve a second look as well. Many apps request access to location during "
            "installation for features that are rarely used, such as tagging photos or finding nearby shops, "
            "and then continue collecting it in the background. Restricting access to while the app is open "
            "usually has no visible effect on how the app works.",
            "Battery life can also benefit. Background location requests and constant syncing are among the "
            "largest sources of drain on modern phones, and reviewers who repeated the same daily routine "
            "before and after changing these settings reported an extra hour or more of use between charges "
            "on several popular models.",
            "Finally, experts recommend writing down the recovery codes for the main account linked to the "
            "phone and keeping them somewhere safe at home. Losing both the phone and access to that account "
            "at the same time is one of the most common reasons people permanently lose their photos, "
            "contacts and two-factor authentication codes.",
        ),
    ),
    Article(
        slug="regional-paper-raises-subscription-prices",
        title="Regional newspaper raises subscription prices for the first time in a decade",
        language="en",
        template="newspaper",
        section="world",
        published="2026-04-22T06:00:00+00:00",
        authors=("Helen Marsh", "Tomás Ferreira"),
        description="The Northern Valley Courier blames newsprint, energy and delivery costs for a rise of "
        "almost a fifth.",
        tags=("media", "newspapers"),
        trap="first-paragraph-mentions-subscriptions",
        paragraphs=(
            "Subscribers to the Northern Valley Courier will pay almost a fifth more from next month, the "
            "newspaper announced on Tuesday, in its first price increase for ten years. A print subscription "
            "will rise to 24 euros a month, while the digital-only subscription will go up from 8 to 9.50 "
            "euros.",
            "The publisher blamed the rising cost of newsprint, energy and distribution, which together have "
            "increased by more than forty percent since 2021. Delivery in rural areas has become particularly "
            "expensive, the company said, because the number of households taking a printed paper has fallen "
            "while the distances covered by each driver have grown.",
            "Editor-in-chief Ruth Abernathy wrote in a letter to readers that the increase would protect the "
            'size of the newsroom, which employs twenty-six journalists. "We would rather ask our readers for '
            'a little more than cut the reporting that made them subscribe in the first place," she wrote, '
            "promising no further rises before 2028.",
            "Media analysts said the Courier was in a stronger position than many regional titles, with around "
            "31,000 paying subscribers and a loyal older readership. But they warned that price increases risk "
            "pushing away younger readers, who are more likely to cancel and rely on free local groups on "
            "social media for news about their area.",
            "The paper will keep a reduced rate for students and for readers over seventy-five, and says "
            "existing annual subscribers will continue to pay the old price until their renewal date. Readers "
            "who wish to cancel can do so online or by phone without a notice period, the publisher said.",
            "Several readers who contacted the newspaper said they accepted the increase reluctantly. A "
            "retired teacher from the valley said the Courier was the only source that still reported on "
            'council meetings in detail. "If it disappears, nobody will be watching what they decide," she '
            "said.",
        ),
    ),
    Article(
        slug="ukrainian-farmers-drones-mined-fields",
        title="Ukrainian farmers turn to drones to survey mined fields before spring planting",
        language="en",
        template="newspaper",
        section="world",
        published="2026-03-02T12:20:00+00:00",
        authors=("Olena Kovalenko",),
        description="Thermal cameras help farmers decide which fields can be worked while demining teams "
        "struggle with the scale of contaminated land.",
        tags=("ukraine", "agriculture", "demining"),
        paragraphs=(
            "Farmers in southern Ukraine are increasingly using commercial drones fitted with thermal cameras "
            "to survey fields for unexploded ordnance before the spring planting season, as official demining "
            "teams struggle to keep up with the scale of contaminated land across the country's most "
            "productive agricultural regions.",
            "The drones cannot clear mines, but they can help identify suspicious objects and craters that are "
            "then reported to specialist teams. Agronomist Serhiy Bondar, who manages about 900 hectares near "
            "the Dnipro river, said the surveys allowed him to decide which fields could safely be worked this "
            "year and which must wait.",
            "According to government estimates, tens of thousands of square kilometres may contain mines or "
            "other explosive remnants. International donors have funded new demining machines and training "
            "programmes, but officials acknowledge that clearing the most affected areas will take many years "
            "even if the pace of work continues to increase.",
            "Insurance remains a major obstacle. Most insurers will not cover machinery or crops on land that "
            "has not been formally certified as cleared, leaving farmers to decide whether to risk expensive "
            "tractors on fields that look safe from the air. Several cooperatives have begun pooling money to "
            "pay for private surveys.",
            "Agricultural exports remain one of the country's most important sources of revenue, and the "
            "government has promised to prioritise land close to grain storage and transport routes. Farmers "
            "say they also need faster certification, because a field surveyed in autumn can be left unused "
            "for a full season while paperwork is completed.",
            'Bondar said his family had farmed the same land for three generations. "My grandfather ploughed '
            'with horses, my father with a Soviet tractor, and now I check every field with a drone first," he '
            'said. "I do not mind the technology. I only want to know that my workers come home in the '
            'evening."',
        ),
    ),
    Article(
        slug="volunteers-map-flood-damage",
        title="Volunteers map flood damage with open-source tools",
        language="en",
        template="minimal",
        section="world",
        published="2025-10-28T14:00:00+00:00",
        authors=("Jonas Weber",),
        description="Remote mappers in fourteen time zones traced washed-out roads and bridges for relief teams.",
        headline_in_body=True,
        paragraphs=(
            "More than two hundred volunteers have spent the past week tracing damaged roads, bridges and "
            "buildings from satellite images of the flooded river valley, using free mapping software to "
            "produce maps that relief organisations say are more detailed than anything available from "
            "official sources in the first days after the disaster.",
            "The volunteers work remotely, many of them from other countries, and compare images taken before "
            "and after the floods to mark roads that have been washed away or buildings surrounded by water. "
            "Each change is checked by a second, more experienced mapper before it appears in the data used by "
            "rescue teams on the ground.",
            "Coordinator Amaka Eze said the project had begun with a single message on a community forum "
            'asking for help. "Within six hours we had people in fourteen time zones working on it," she said. '
            '"Someone would finish a village in Manila just as someone else started the next one in Lisbon."',
            "Relief workers said the maps had helped them plan routes for supply lorries, many of which had "
            "been turned back the previous week by roads that existed on paper but were no longer passable. "
            "One aid coordinator said the maps had saved her team an entire day of driving during the first "
            "week alone.",
            "Organisers warn that remote mapping has limits. Cloud cover can hide damage for days, and "
            "volunteers cannot always distinguish a flooded field from a flooded street. Local residents are "
            "therefore being asked to add notes through a simple mobile form, such as which bridges are safe "
            "for pedestrians but not for vehicles.",
            "The finished data is published under an open licence so that governments, charities and "
            "researchers can use it freely. The project's organisers hope it will also be used after the "
            "emergency, when the valley's councils must decide which roads and bridges to rebuild first and "
            "where new flood defences are most urgently needed.",
        ),
    ),
    Article(
        slug="maintainers-report-surge-in-automated-bug-reports",
        title="Open-source maintainers report surge in automated bug reports",
        language="en",
        template="minimal",
        section="tech",
        published="2026-05-11T08:40:00+00:00",
        authors=("Rafael Moreno",),
        description="Volunteers who look after critical software say machine-written reports describe bugs "
        "that do not exist.",
        paragraphs=(
            "Maintainers of several widely used open-source projects say they are being overwhelmed by bug "
            "reports generated with automated tools, many of which describe problems that do not exist. The "
            "volunteers, who often look after critical software in their spare time, say the reports take "
            "hours to investigate and rarely contain anything useful.",
            "The reports typically arrive in polished language and cite plausible-looking code, which makes "
            "them hard to dismiss at a glance. One maintainer of a popular compression library said he had "
            "spent most of a weekend reproducing a reported memory error, only to discover that the function "
            "described in the report had never existed.",
            "Some projects have started to require that anyone reporting a security problem include a working "
            "proof of concept, while others have introduced a short delay before new accounts can open issues. "
            "Maintainers admit that these measures also discourage genuine first-time contributors, whom they "
            "have spent years trying to attract.",
            "Security researchers say the trend risks hiding real vulnerabilities among the noise. Bug bounty "
            "platforms, which pay rewards for confirmed problems, have reported a sharp rise in submissions "
            "over the past year without a corresponding increase in valid findings, and several have begun "
            "penalising accounts that repeatedly file invalid reports.",
            "Foundations that support open-source development have promised to fund tools that can help triage "
            "incoming reports, and some larger companies that depend on the affected projects have offered to "
            "lend engineers. Maintainers say money would help, but that what they need most is time and a way "
            "to filter out reports that nobody has checked.",
            "For now, many are simply closing reports that fail to respond to a request for more detail within "
            'a week. "We want to hear about real problems," said one maintainer. "We just cannot spend our '
            'evenings proving that an imaginary bug is imaginary, over and over again."',
        ),
    ),
    Article(
        slug="harbour-authority-approves-ferry-terminal",
        title="Harbour authority approves new ferry terminal after two-year review",
        language="en",
        template="wordpress",
        section="world",
        published="2026-06-08T11:00:00+00:00",
        authors=("Grace Adeyemi",),
        description="The eastern quay terminal will handle up to 1.5 million passengers a year and connect "
        "ferries to shore power.",
        tags=("transport", "ferries"),
        paragraphs=_FERRY_PARAGRAPHS,
    ),
    Article(
        slug="ferry-terminal-approved-for-eastern-quay",
        title="Ferry terminal approved for eastern quay after lengthy review",
        language="en",
        template="minimal",
        section="world",
        published="2026-06-09T07:30:00+00:00",
        authors=("Grace Adeyemi",),
        description="A partner publication reports on the harbour authority's decision to build a new terminal.",
        paragraphs=_FERRY_PARAGRAPHS,
        intro_line="This article first appeared on The Harbour Ledger and is republished here as part of a "
        "regional news-sharing partnership.",
        footer_line="© 2026 The Harbour Ledger. Republished with permission of the original publisher.",
        syndicated_from="harbour-authority-approves-ferry-terminal",
    ),
    Article(
        slug="night-trains-return-to-the-alps",
        title="Night trains return to the Alps as operators add winter routes",
        language="en",
        template="newspaper",
        section="europe",
        published="2025-11-15T05:45:00+00:00",
        authors=("Lukas Brenner",),
        description="Sleeper services will link northern European cities with ski resorts in Austria, "
        "Switzerland and Italy.",
        tags=("rail", "travel", "europe"),
        aliases=(_NIGHT_TRAINS_PRINT,),
        paragraphs=(
            "Night trains are returning to several Alpine routes this winter, with operators adding sleeper "
            "services that connect northern European cities with ski resorts in Austria, Switzerland and "
            "Italy. Passengers will be able to board in the evening and wake up in the mountains, a journey "
            "that railway companies hope will tempt travellers away from short-haul flights.",
            "The new services will run up to four times a week between December and April, using refurbished "
            "carriages with private compartments, shared couchettes and a small number of seats for "
            "passengers on tighter budgets. Ski equipment can be stored in a dedicated luggage van, a feature "
            "operators say was the most requested in passenger surveys.",
            "Ticket prices start at around 60 euros for a couchette berth booked in advance, rising to several "
            "hundred euros for a private compartment with its own shower. Operators admit that the fares are "
            "not always cheaper than flying, but argue that travellers save a night in a hotel and arrive "
            "without a transfer from a distant airport.",
            "Railway enthusiasts have welcomed the revival, but passenger groups say booking remains "
            "complicated. Journeys that cross several countries often require tickets from more than one "
            "operator, and travellers who miss a connection are not always protected in the same way as "
            "passengers who book a single through ticket.",
            "Tourism officials in the resorts say they are preparing shuttle buses between stations and "
            "hotels, which have traditionally been planned around arrivals at regional airports. Several "
            "hotels have also begun offering early check-in for guests arriving on the overnight trains, many "
            "of which reach their destinations before eight in the morning.",
            "Operators say demand will decide whether the routes become permanent. Early bookings for the "
            "Christmas holidays have been strong, with some departures already sold out, and the companies are "
            "considering adding a second train on the busiest weekends if enough carriages can be refurbished "
            "in time for February.",
        ),
    ),
    Article(
        slug="stadtwerke-testen-waermepumpen-in-altbauten",
        title="Stadtwerke testen Wärmepumpen in unsanierten Altbauten",
        language="de",
        template="newspaper",
        section="europe",
        published="2026-01-27T09:30:00+01:00",
        authors=("Katrin Vogel",),
        description="In vierzig Häusern aus der Zeit vor 1950 wird zwei Jahre lang gemessen, ob sich "
        "Wärmepumpen auch ohne Sanierung lohnen.",
        tags=("Energie", "Wohnen"),
        paragraphs=(
            "Die Stadtwerke einer mittelgroßen Stadt in Süddeutschland wollen in den kommenden zwei Jahren "
            "herausfinden, ob sich Wärmepumpen auch in unsanierten Altbauten wirtschaftlich betreiben lassen. "
            "Dafür werden in vierzig Wohnhäusern aus der Zeit vor 1950 Geräte verschiedener Hersteller "
            "eingebaut und mit zahlreichen Messfühlern ausgestattet.",
            "Bislang gilt unter vielen Handwerkern die Faustregel, dass eine Wärmepumpe nur in gut gedämmten "
            "Gebäuden mit Fußbodenheizung sinnvoll ist. Erste Ergebnisse aus ähnlichen Projekten deuten "
            "jedoch darauf hin, dass oft schon größere Heizkörper in einzelnen Räumen ausreichen, um auch bei "
            "Frost angenehme Temperaturen zu erreichen.",
            "Die Eigentümer der ausgewählten Häuser zahlen für den Einbau nur einen Teil der üblichen Kosten. "
            "Im Gegenzug verpflichten sie sich, ihre Verbrauchsdaten für die Dauer des Projekts zur Verfügung "
            "zu stellen und an regelmäßigen Befragungen zur Zufriedenheit mit der neuen Heizung teilzunehmen.",
            "Projektleiterin Sabine Hartmann sagte, viele Menschen hätten Angst vor hohen Stromrechnungen. "
            "„Wir wollen keine Versprechen machen, sondern belastbare Zahlen liefern“, sagte sie. Die "
            "Ergebnisse sollen nach jedem Winter veröffentlicht werden, damit auch Hausbesitzer außerhalb des "
            "Projekts davon profitieren können.",
            "Kritik kommt vom örtlichen Mieterverein. Dieser befürchtet, dass Vermieter die Kosten für den "
            "Heizungstausch auf die Mieten umlegen könnten, ohne dass die Mieter tatsächlich weniger für "
            "Energie bezahlen. Die Stadtwerke verweisen darauf, dass im Projekt ausschließlich selbst genutzte "
            "Häuser berücksichtigt werden.",
            "Sollte sich das Verfahren bewähren, wollen die Stadtwerke ab 2028 ein Beratungsangebot für alle "
            "Hausbesitzer einrichten. Geplant ist außerdem, in besonders dicht bebauten Vierteln ein "
            "Wärmenetz aufzubauen, das Abwärme aus einem nahe gelegenen Rechenzentrum nutzt und mehrere "
            "hundert Haushalte versorgen könnte.",
        ),
    ),
    Article(
        slug="baeckereien-im-allgaeu-kaempfen-mit-energiekosten",
        title="Bäckereien im Allgäu kämpfen mit hohen Energiekosten",
        language="de",
        template="wordpress",
        section="europe",
        published="2025-09-18T07:00:00+02:00",
        authors=("Thomas Berger",),
        description="Elf Betriebe haben seit Jahresbeginn geschlossen; die Handwerkskammer fordert Hilfe "
        "für energieintensive Kleinbetriebe.",
        tags=("Handwerk", "Energie"),
        paragraphs=(
            "Immer mehr kleine Bäckereien im Allgäu geben auf. Nach Angaben der Handwerkskammer haben in der "
            "Region seit Jahresbeginn elf Betriebe geschlossen, die meisten davon Familienunternehmen in "
            "kleineren Orten. Als Hauptgrund nennen die Inhaber die stark gestiegenen Kosten für Strom und "
            "Gas, die sich kaum noch über die Brotpreise ausgleichen lassen.",
            "Bäckermeister Georg Eberle führt seinen Betrieb in dritter Generation. Seine Öfen laufen jeden "
            "Morgen ab zwei Uhr, und die Energierechnung ist innerhalb von zwei Jahren um mehr als die Hälfte "
            "gestiegen. „Ein Brot kostet bei uns jetzt fast fünf Euro, und trotzdem verdienen wir weniger als "
            "vorher“, sagt er.",
            "Hinzu kommt der Mangel an Nachwuchs. Viele Betriebe finden seit Jahren keine Auszubildenden mehr, "
            "weil junge Menschen die frühen Arbeitszeiten scheuen. Einige Bäckereien haben deshalb ihre "
            "Öffnungszeiten verkürzt oder bieten nur noch an drei Tagen pro Woche frische Ware an.",
            "Die Handwerkskammer fordert gezielte Hilfen für energieintensive Kleinbetriebe, etwa Zuschüsse für "
            "moderne Öfen, die deutlich weniger Energie verbrauchen. Ein neuer Ofen kostet allerdings schnell "
            "mehr als hunderttausend Euro, eine Investition, die sich viele Inhaber kurz vor dem Ruhestand "
            "nicht mehr zutrauen.",
            "Einige Betriebe setzen auf Zusammenarbeit. In einem Dorf bei Kempten backen drei Bäckereien "
            "inzwischen gemeinsam in einer Backstube und teilen sich die Kosten für Energie und Personal. Die "
            "Kunden merken davon wenig, denn die Brote werden weiterhin nach den jeweiligen Familienrezepten "
            "gebacken und in den eigenen Läden verkauft.",
            "Für viele Orte geht es um mehr als frisches Brot. Die Bäckerei ist häufig der letzte Laden im "
            "Dorf und ein wichtiger Treffpunkt, vor allem für ältere Menschen. Bürgermeister mehrerer "
            "Gemeinden haben deshalb angekündigt, nach Lösungen zu suchen, damit die verbliebenen Betriebe "
            "nicht ebenfalls schließen müssen.",
        ),
    ),
    Article(
        slug="lyon-generalise-les-rues-scolaires",
        title="Lyon généralise les rues scolaires fermées aux voitures",
        language="fr",
        template="newspaper",
        section="europe",
        published="2026-02-16T08:10:00+01:00",
        authors=("Claire Dumas",),
        description="Quarante nouvelles écoles seront concernées par l'interdiction de circuler aux heures "
        "d'entrée et de sortie des élèves.",
        tags=("mobilité", "écoles"),
        paragraphs=(
            "La ville de Lyon va étendre à quarante nouvelles écoles le dispositif des rues scolaires, qui "
            "interdit la circulation automobile devant les établissements aux heures d'entrée et de sortie des "
            "élèves. La mesure, testée depuis deux ans dans une douzaine de quartiers, doit être appliquée "
            "progressivement à partir de la rentrée de septembre.",
            "Selon la municipalité, les premières rues concernées ont connu une nette baisse de la pollution de "
            "l'air aux abords des écoles, ainsi qu'une hausse du nombre d'enfants venant à pied ou à vélo. Les "
            "parents interrogés lors de l'évaluation se disent majoritairement satisfaits, même si certains "
            "regrettent des trajets plus longs en voiture.",
            "Les commerçants de plusieurs quartiers se montrent plus réservés. Une boulangère du septième "
            "arrondissement explique que ses clients du matin, souvent des parents pressés, se garaient devant "
            "sa boutique avant de déposer leurs enfants. « Depuis la fermeture de la rue, j'ai perdu une partie "
            "de cette clientèle », affirme-t-elle.",
            "Pour répondre à ces inquiétudes, la mairie prévoit des places de livraison et des arrêts minute à "
            "proximité des zones fermées. Les riverains, les services d'urgence et les personnes à mobilité "
            "réduite pourront toujours accéder aux rues concernées grâce à des bornes escamotables gérées à "
            "distance.",
            "L'opposition municipale dénonce une décision prise sans concertation suffisante avec les quartiers "
            "périphériques, où les transports en commun sont moins nombreux. Elle demande que chaque nouvelle "
            "rue scolaire fasse l'objet d'une réunion publique avant sa mise en place, ce que l'adjointe aux "
            "mobilités s'est engagée à organiser.",
            "D'autres grandes villes françaises observent l'expérience lyonnaise avec attention. Plusieurs "
            "d'entre elles ont déjà lancé leurs propres essais, et une association nationale de parents "
            "d'élèves réclame désormais un cadre législatif qui permettrait à toutes les communes de fermer "
            "facilement les rues situées devant les écoles.",
        ),
    ),
    Article(
        slug="vendanges-precoces-inquietent-viticulteurs",
        title="Les vendanges précoces inquiètent les viticulteurs bordelais",
        language="fr",
        template="wordpress",
        section="europe",
        published="2025-08-29T17:20:00+02:00",
        authors=("Julien Marchand",),
        description="Les fortes chaleurs de juillet ont avancé la récolte de près de trois semaines dans "
        "plusieurs appellations.",
        tags=("viticulture", "climat"),
        paragraphs=(
            "Les vendanges ont commencé cette année avec près de trois semaines d'avance dans plusieurs "
            "appellations du Bordelais, un phénomène qui n'a plus rien d'exceptionnel mais qui continue "
            "d'inquiéter les viticulteurs. Les fortes chaleurs du mois de juillet ont accéléré la maturation "
            "du raisin, au risque de déséquilibrer les vins.",
            "Au domaine familial qu'il exploite près de Saint-Émilion, Pierre Lacoste a dû mobiliser ses "
            "vendangeurs dès la mi-août. « Quand mon grand-père a commencé, on vendangeait fin septembre, "
            "parfois début octobre », raconte-t-il. « Aujourd'hui, on récolte pendant que les touristes sont "
            "encore à la plage. »",
            "Les œnologues expliquent qu'un raisin trop mûr produit des vins plus alcoolisés et moins acides, "
            "ce qui ne correspond pas toujours au style attendu par les amateurs de bordeaux. Certains "
            "producteurs récoltent désormais de nuit, lorsque les températures sont plus basses, afin de "
            "préserver la fraîcheur des fruits.",
            "À plus long terme, la filière réfléchit à l'introduction de cépages mieux adaptés à la chaleur. "
            "Depuis quelques années, plusieurs variétés venues du sud de l'Europe sont autorisées à titre "
            "expérimental dans une partie des vignobles, à condition de ne pas représenter plus d'une petite "
            "part de l'assemblage final.",
            "Ces évolutions divisent la profession. Certains y voient une nécessité pour survivre, d'autres "
            "craignent de perdre l'identité des vins de la région. Les syndicats viticoles organisent cet hiver "
            "une série de réunions pour discuter de l'avenir des appellations et des règles qui encadrent la "
            "production.",
            "Malgré ces inquiétudes, la qualité de la récolte s'annonce plutôt bonne. Les raisins sont sains "
            "et les rendements correspondent à la moyenne des dernières années. Les premiers vins nouveaux "
            "seront présentés aux négociants au printemps, lors de la traditionnelle semaine des primeurs.",
        ),
    ),
    Article(
        slug="valencia-amplia-carriles-bici-hasta-el-puerto",
        title="Valencia amplía su red de carriles bici hasta el puerto",
        language="es",
        template="newspaper",
        section="europe",
        published="2026-04-07T10:00:00+02:00",
        authors=("Lucía Herrera",),
        description="Un nuevo tramo de seis kilómetros conectará el centro histórico con el puerto y las "
        "playas del norte.",
        tags=("movilidad", "urbanismo"),
        paragraphs=(
            "El Ayuntamiento de Valencia ha aprobado la ampliación de su red de carriles bici con un nuevo "
            "tramo de seis kilómetros que conectará el centro histórico con el puerto y las playas del norte. "
            "Las obras comenzarán en otoño y está previsto que terminen antes del verano del año próximo, "
            "según fuentes municipales.",
            "El proyecto incluye carriles separados del tráfico por bordillos, nuevos aparcamientos para "
            "bicicletas junto a las estaciones de metro y semáforos sincronizados para reducir las esperas en "
            "los cruces más concurridos. El presupuesto total asciende a unos once millones de euros, "
            "financiados en parte con fondos europeos.",
            "Las asociaciones de ciclistas han recibido la noticia con satisfacción, aunque recuerdan que "
            "varios tramos prometidos en años anteriores todavía no se han construido. «Valencia tiene el "
            "clima y el terreno perfectos para la bicicleta, pero faltan conexiones seguras entre los "
            "barrios», señala Marta Soler, portavoz de una de las asociaciones.",
            "Algunos comerciantes de las calles afectadas temen que la reducción de plazas de aparcamiento "
            "perjudique a sus negocios. El consistorio asegura que se habilitarán zonas de carga y descarga y "
            "que estudios realizados en otras ciudades muestran que los clientes que llegan a pie o en "
            "bicicleta visitan los comercios con más frecuencia.",
            "El uso de la bicicleta en la ciudad ha crecido de forma notable en la última década. Según los "
            "datos municipales, el número de desplazamientos diarios en bici se ha duplicado desde 2015, "
            "impulsado por el servicio público de alquiler y por la construcción de un anillo ciclista "
            "alrededor del centro.",
            "La oposición ha criticado que el proyecto se haya presentado sin un plan para mejorar el "
            "transporte público en los barrios periféricos. El concejal de Movilidad respondió que la "
            "ampliación de varias líneas de autobús se debatirá en el próximo pleno y que ambas medidas forman "
            "parte de la misma estrategia.",
        ),
    ),
    Article(
        slug="comercios-de-sevilla-apuestan-por-la-venta-en-linea",
        title="Los pequeños comercios de Sevilla apuestan por la venta en línea",
        language="es",
        template="minimal",
        section="europe",
        published="2025-11-03T13:30:00+01:00",
        authors=("Alejandro Ruiz",),
        description="Casi la mitad de los negocios del casco antiguo ya vende a través de internet.",
        paragraphs=(
            "Cada vez más pequeños comercios del centro de Sevilla venden sus productos a través de internet "
            "para compensar la caída de clientes en las tiendas físicas. Según una encuesta de la asociación "
            "de comerciantes, casi la mitad de los negocios del casco antiguo ya tiene una tienda en línea o "
            "vende a través de plataformas digitales.",
            "Carmen Ortega regenta desde hace treinta años una tienda de abanicos y mantones en una calle "
            "cercana a la catedral. Hace dos años empezó a vender por internet con la ayuda de su sobrino, y "
            "hoy los pedidos en línea representan casi un tercio de sus ingresos. «Tengo clientes en Japón que "
            "nunca han pisado Sevilla», cuenta.",
            "La transformación no siempre resulta sencilla. Muchos comerciantes de mayor edad reconocen que "
            "les cuesta manejar las redes sociales, gestionar los envíos o responder a las reseñas de los "
            "clientes. Para ayudarlos, el ayuntamiento ha puesto en marcha talleres gratuitos de comercio "
            "electrónico que se imparten por las tardes.",
            "Los expertos advierten de que vender en línea exige una inversión constante de tiempo y dinero. "
            "Las comisiones de las grandes plataformas pueden superar el quince por ciento del precio de "
            "venta, y la competencia con las grandes cadenas obliga a cuidar mucho la presentación de los "
            "productos y la rapidez de los envíos.",
            "Aun así, la mayoría de los comerciantes consultados considera que la tienda física sigue siendo "
            "imprescindible. El contacto directo con el cliente, la posibilidad de probar los productos y el "
            "turismo que llena las calles del centro continúan siendo la base de sus negocios, mientras que "
            "internet funciona como un complemento.",
            "La asociación de comerciantes pedirá a las administraciones una reducción de las tasas "
            "municipales para los negocios tradicionales que mantengan su actividad en el casco histórico. Su "
            "presidente defiende que estas tiendas forman parte del patrimonio de la ciudad y que su "
            "desaparición cambiaría por completo el carácter del centro.",
        ),
    ),
)

PRIVATE: tuple[Article, ...] = (
    Article(
        slug="leak",
        path="/private/leak.html",
        kind="private",
        title="Internal memo: draft budget figures for next year",
        language="en",
        template="minimal",
        section="",
        published="2026-09-30T09:00:00+00:00",
        authors=("Finance Office",),
        description="Confidential draft budget memo for department heads.",
        paragraphs=(
            "Department heads are asked to treat the figures in this memo as confidential until the board has "
            "approved the final budget. The numbers below are based on the revenue forecast prepared in "
            "September and will change if advertising income in the fourth quarter differs significantly from "
            "the current projection.",
            "The newsroom budget for next year is expected to remain flat in cash terms, which means a "
            "real-terms reduction once salary increases are taken into account. Editors should plan on the "
            "assumption that two vacancies on the regional desk will not be filled before the summer and that "
            "freelance spending will be capped.",
            "Printing costs are forecast to rise by around nine percent because of a new contract with the "
            "print works. The distribution team is reviewing whether the Saturday edition can be delivered to "
            "outlying villages by post rather than by van, which would save money but mean later delivery for "
            "some readers.",
            "Investment in the website will focus on faster pages and a simpler registration process. The "
            "product team believes that most readers abandon the sign-up form before completing it and that "
            "reducing the number of required fields could increase registrations by a quarter without "
            "additional marketing spending.",
            "Please do not forward this memo outside the management group. A revised version with confirmed "
            "figures will be circulated after the board meeting in December, and department heads will then "
            "have two weeks to submit detailed spending plans for their teams.",
        ),
    ),
)

# Articles served by the /fail/ routes: real stories behind awkward transport, so a crawler that copes with
# the transport problem can be checked on the extracted text too.
FAILURE_ARTICLES: tuple[Article, ...] = (
    Article(
        slug="flaky",
        path="/fail/flaky.html",
        kind="failure",
        failure="retry-then-ok",
        title="Regional hospital trials text message reminders to cut missed appointments",
        language="en",
        template="wordpress",
        section="tech",
        published="2026-05-20T09:10:00+00:00",
        authors=("Owen Fairbairn",),
        description="A six-month pilot halved the share of patients who missed outpatient appointments "
        "without warning.",
        tags=("health",),
        paragraphs=(
            "A regional hospital has begun sending text message reminders to patients three days before "
            "outpatient appointments, in an attempt to reduce the number of missed visits that cost the health "
            "service millions every year. Patients can confirm, cancel or ask to rebook by replying to the "
            "message with a single word.",
            "During a six-month pilot in the hospital's orthopaedic department, the proportion of patients who "
            "failed to attend without warning fell from eleven percent to just under six percent. Staff said "
            "the freed-up slots were usually offered to people on the waiting list within a day, shortening "
            "waits for some treatments.",
            "The hospital's outpatient manager, Deborah Quayle, said many missed appointments were simply "
            'forgotten rather than deliberately skipped. "People have busy lives, and a letter that arrived '
            'six weeks earlier is easy to lose," she said. "A short message on the phone at the right moment '
            'makes a real difference."',
            "Patient groups welcomed the scheme but asked the hospital to keep sending letters to people who do "
            "not use mobile phones, including many older patients. The hospital confirmed that letters would "
            "continue and that patients could choose to receive reminders by phone call from a member of "
            "staff instead.",
            "If the results hold across other departments, the reminders will be extended to all outpatient "
            "clinics by next summer. The hospital estimates that the system, which costs a few thousand euros "
            "a year to run, could save the equivalent of several full-time consultant posts in wasted clinic "
            "time.",
        ),
    ),
    Article(
        slug="slow",
        path="/fail/slow.html",
        kind="failure",
        failure="timeout",
        title="Weather service upgrades its storm warning system",
        language="en",
        template="minimal",
        section="tech",
        published="2026-07-01T15:00:00+00:00",
        authors=("Nadia Petrov",),
        description="Alerts can now be issued for individual districts instead of whole regions.",
        paragraphs=(
            "The national weather service has completed an upgrade of its storm warning system that allows "
            "forecasters to issue alerts for individual districts rather than entire regions. The change is "
            "intended to reduce the number of people who receive warnings for storms that never reach them and "
            "then ignore the next alert.",
            "Until now, warnings were issued for large areas covering several million people, even when "
            "forecasters knew that the most severe weather would affect only a narrow band. Surveys carried "
            "out by the service found that trust in warnings fell noticeably after a series of alerts in which "
            "nothing happened in most of the warned area.",
            "The new system combines radar data, lightning detection and high-resolution computer models that "
            "are updated every fifteen minutes. Forecasters can draw the warning area directly on a map, and "
            "the alert is then sent automatically to phones, broadcasters and emergency services in the "
            "affected districts.",
            "Emergency planners said the more precise warnings would help them decide where to position crews "
            "before a storm arrives. Fire brigades in mountainous areas, where thunderstorms can cause sudden "
            "flash floods in narrow valleys, have been asking for district-level warnings for more than a "
            "decade.",
            "The weather service said it would review the system after its first full summer and publish data "
            "on how accurately the warning areas matched the places where severe weather was actually "
            "observed. Members of the public can already view the new warning map on the service's website "
            "and in its mobile app.",
        ),
    ),
    Article(
        slug="gzip",
        path="/fail/gzip.html",
        kind="failure",
        failure="ok-gzip",
        title="Public library network lends out laptops and mobile hotspots",
        language="en",
        template="newspaper",
        section="tech",
        published="2026-08-12T10:30:00+00:00",
        authors=("Ahmed Saleh",),
        description="Residents without a computer or broadband can borrow devices for three weeks with a library card.",
        tags=("libraries", "digital inclusion"),
        paragraphs=(
            "The city's public library network has started lending laptops and mobile internet hotspots for "
            "up to three weeks at a time, aimed at residents who cannot afford a computer or a home broadband "
            "contract. The devices can be borrowed with an ordinary library card and returned at any branch in "
            "the city.",
            "The scheme began with two hundred laptops and eighty hotspots, most of them paid for by a grant "
            "from a charitable foundation. Within the first fortnight every device had been borrowed, and the "
            "waiting list now includes more than four hundred people, many of them job seekers and students "
            "preparing for exams.",
            'Librarian Karim Haddad said borrowers often needed help as much as equipment. "Someone might need '
            'to fill in a benefits form or apply for a job online, and they have never used a laptop before," '
            "he said. Staff now run drop-in sessions every morning where borrowers can ask for assistance.",
            "Each laptop is wiped automatically when it is returned, removing files, browsing history and saved "
            "passwords before it is lent again. The library said that only a handful of devices had been "
            "damaged so far and none had been lost, which it attributed to the trust built up through years of "
            "lending books.",
            "The library hopes to double the number of devices next year if it can secure further funding. "
            "City councillors from several parties have expressed support, and the library has asked local "
            "businesses to donate laptops they no longer need, which its technicians will refurbish before "
            "adding them to the collection.",
        ),
    ),
    Article(
        slug="broken",
        path="/fail/broken.html",
        kind="failure",
        failure="ok-broken",
        title="Town replaces streetlights with dimmable LEDs to protect the night sky",
        language="en",
        template="broken",
        section="tech",
        published="2026-02-25T18:00:00+00:00",
        authors=("Ingrid Solberg",),
        description="More than 1,400 lamps now dim after midnight, cutting costs and revealing the Milky Way.",
        paragraphs=(
            "A small mountain town has replaced all of its streetlights with dimmable LED lamps that switch to "
            "a low setting after midnight, in an effort to cut energy costs and protect the dark sky that "
            "draws stargazers to the area. The project took eighteen months and covered more than 1,400 lamps.",
            "The new lamps direct light downward and use a warmer colour that scatters less in the atmosphere. "
            "Astronomers at a nearby observatory said the difference was visible within weeks, with fainter "
            "stars and the band of the Milky Way now clearly visible from the edge of town on clear, moonless "
            "nights.",
            "The town expects to save around sixty percent on its street lighting bill, money that the mayor "
            "said would be spent on repairing pavements. Some residents initially worried that dimmer streets "
            "would feel less safe, but the council said sensors would raise the brightness when pedestrians or "
            "cars approach.",
            "Local hotels report growing interest from visitors who come specifically to watch the night sky. "
            "A guesthouse owner said she now lends blankets and star charts to guests, and that bookings in "
            "the quieter winter months had risen since the town began promoting its dark skies to tourists "
            "last year.",
            "The town has applied for recognition as a dark sky community, a status awarded by an "
            "international organisation to places that limit light pollution. A decision is expected next "
            "spring, and neighbouring villages have already asked the council for advice on replacing their "
            "own lamps in the same way.",
        ),
    ),
    Article(
        slug="charset",
        path="/fail/charset.html",
        kind="failure",
        failure="ok-charset",
        title="Café owners in the old quarter celebrate a record summer",
        language="en",
        template="charset",
        section="tech",
        published="2025-09-05T12:00:00+00:00",
        authors=("Inés Valverde",),
        description="Terraces were full from late morning until after midnight, but residents complain about noise.",
        paragraphs=(
            "Café owners in the old quarter say this summer was their busiest on record, with terraces full "
            "from late morning until well after midnight. José Núñez, who runs a small café on the main "
            "square, said he had hired four extra staff and still struggled to keep up with demand on "
            "weekends.",
            "“We have never seen so many visitors from so many places,” Núñez said, pointing to a row of "
            "tables where a group of students from Zürich were sharing plates of jamón and tortilla. “Some "
            "days I hear six languages before lunch, and everybody wants to sit outside.”",
            "Economists at the regional tourism board said the increase reflected both a rise in international "
            "arrivals and a shift towards smaller, family-run businesses. Visitors increasingly avoid large "
            "chains, preferring cafés where the owner’s name is above the door and the menu changes with the "
            "seasons.",
            "Not everyone is pleased. Residents’ associations complain about noise late at night and about "
            "terraces that leave little room for pedestrians on narrow pavements. Jürgen Müller, a retired "
            "engineer who moved to the quarter twenty years ago, said he now avoids the square entirely "
            "during the evening.",
            "The city council plans to review terrace licences this winter and has promised to consult both "
            "business owners and residents before setting new rules. Núñez said he would accept earlier "
            "closing times if they applied fairly to everyone. “All we ask is that the rules are the same for "
            "the café next door,” he said.",
        ),
    ),
)

ALL_ARTICLES: tuple[Article, ...] = NEWS + PRIVATE + FAILURE_ARTICLES

# Where the single 301 of /fail/redirect.html lands: an ordinary article, so "followed normally" is testable.
REDIRECT_TARGET = NEWS[0].path
