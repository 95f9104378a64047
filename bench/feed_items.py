#!/usr/bin/env python3
"""Write N event item documents (the format of content/*.xml) for the bench.

The sample content has six items; the bench needs a feed of 50 items
(about 60 KB of RSS) and a list of 20 to render per request.  Text is
assembled from Polish, English and German sentence pools about the city's
integration work, so feeds carry realistic multi-byte text.  The output is
deterministic (seeded), so every bench run serves the same bytes.

Items 1..LONG are older and longer (about 2 KB as an XML document: the
bench's small answer); the newer ones are short, so that the newest 50
make a feed of about 60 KB.

usage: feed_items.py OUTDIR [COUNT]
"""
import os
import random
import sys
from xml.sax.saxutils import escape

LONG = 10

TOPICS = [
    ("Spotkanie informacyjne dla cudzoziemców", "Information meeting for foreigners",
     "Informationstreffen für Ausländerinnen und Ausländer"),
    ("Warsztaty języka polskiego", "Polish language workshop", "Polnisch-Workshop"),
    ("Dyżur doradcy zawodowego", "Careers adviser's office hours", "Sprechstunde der Berufsberatung"),
    ("Festiwal kultur sąsiedzkich", "Neighbourhood cultures festival", "Fest der Nachbarschaftskulturen"),
    ("Debata o równym traktowaniu", "Debate on equal treatment", "Debatte über Gleichbehandlung"),
    ("Kawiarenka językowa", "Language café", "Sprachcafé"),
    ("Szkolenie dla urzędników", "Training for city officials", "Schulung für Verwaltungsangestellte"),
    ("Spacer po Dolnym Mieście", "Walk through the Lower Town", "Spaziergang durch die Niederstadt"),
]

VENUES = [
    ("Europejskie Centrum Solidarności", "European Solidarity Centre",
     "Europäisches Solidarność-Zentrum", "pl. Solidarności 1"),
    ("Oliwski Ratusz Kultury", "Oliwa Town Hall of Culture", "Kulturrathaus Oliwa", "ul. Opata Jacka Rybińskiego 25"),
    ("Nowy Ratusz", "New Town Hall", "Neues Rathaus", "ul. Wały Jagiellońskie 1"),
    ("Centrum Wsparcia Imigrantów i Imigrantek", "Immigrant Support Centre",
     "Zentrum für die Unterstützung von Migrantinnen und Migranten", "ul. Jana Heweliusza 11"),
]

PL = [
    "Spotkanie jest bezpłatne i otwarte dla wszystkich mieszkańców Gdańska.",
    "Gdańsk od lat rozwija Model Integracji Imigrantów, wypracowany wspólnie z organizacjami pozarządowymi.",
    "Uczestnicy dowiedzą się, jak załatwić sprawy w urzędzie, gdzie szukać pracy i jak zapisać dziecko do szkoły.",
    "Zajęcia prowadzą doświadczeni trenerzy, a materiały są przygotowane w języku polskim, ukraińskim i angielskim.",
    "Różnimy się na tysiąc sposobów, ale łączy nas jedno miasto – jego przestrzeń, ścieżki i wspólne wartości.",
    "Obowiązuje wcześniejsza rejestracja; liczba miejsc jest ograniczona.",
    "Po części oficjalnej zapraszamy na rozmowy przy kawie i herbacie.",
    "Wydarzenie odbywa się w ramach kampanii „Łączy nas Gdańsk”.",
]
EN = [
    "The meeting is free and open to everyone who lives in Gdańsk.",
    "Gdańsk has for years developed its Immigrants Integration Model together with non-governmental organisations.",
    "Participants will learn how to deal with offices, where to look for work and how to enrol a child at school.",
    "Experienced trainers lead the sessions; materials are in Polish, Ukrainian and English.",
    "Registration is required; places are limited.",
]
DE = [
    "Das Treffen ist kostenlos und offen für alle Einwohnerinnen und Einwohner von Gdańsk.",
    "Gdańsk entwickelt sein Modell zur Integration von Migrantinnen und Migranten seit Jahren mit Nichtregierungsorganisationen.",
    "Eine Anmeldung ist erforderlich; die Zahl der Plätze ist begrenzt.",
]

ORGANISERS = ('    <organisers>\n      <organisation href="http://www.gdansk.pl">\n'
              '        <name xml:lang="pl">Miasto Gdańsk</name>\n'
              '        <name xml:lang="en">City of Gdańsk</name>\n'
              '        <name xml:lang="de">Stadt Gdańsk</name>\n'
              '      </organisation>\n    </organisers>\n')


def paragraphs(rng, pool, count, sentences=2):
    return "".join("<p>%s</p>" % escape(" ".join(rng.sample(pool, sentences)))
                   for _ in range(count))


def text_block(lang, title, summary, body):
    return ("  <text xml:lang=\"%s\">\n    <title>%s</title>\n    <summary>%s</summary>\n"
            "    <body><div xmlns=\"http://www.w3.org/1999/xhtml\">%s</div></body>\n  </text>\n"
            % (lang, escape(title), escape(summary), body))


def item(rng, n, long_text):
    topic = TOPICS[n % len(TOPICS)]
    venue = VENUES[n % len(VENUES)]
    day = 1 + n % 28
    month = 1 + (n // 28) % 12
    year = 2020 + n // 336
    start = "%04d-%02d-%02dT17:00:00+01:00" % (year, month, day)
    end = "%04d-%02d-%02dT19:00:00+01:00" % (year, month, day)
    updated = "%04d-%02d-%02dT09:%02d:00+01:00" % (year, month, day, n % 60)
    slug = "bench-wydarzenie-%03d" % n
    # Feed items are short; the older "long" items are ~2 KB XML documents.
    pl_body = paragraphs(rng, PL, 2, 3) if long_text else paragraphs(rng, PL, 1, 1)
    organisers = ORGANISERS if long_text else ""
    tags = rng.sample(["integration", "language", "work", "culture", "equal-treatment", "education"], 2)
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n',
           '<item xmlns="urn:neptun:1" type="events" slug="%s" status="published"\n'
           '      publish_at="%s" created="%s" updated="%s">\n' % (slug, updated, updated, updated),
           "  <tags>%s</tags>\n" % "".join("<tag>%s</tag>" % t for t in tags),
           text_block("pl", "%s nr %d" % (topic[0], n), rng.choice(PL), pl_body),
           text_block("en", "%s no. %d" % (topic[1], n), rng.choice(EN), paragraphs(rng, EN, 1)),
           text_block("de", "%s Nr. %d" % (topic[2], n), rng.choice(DE), paragraphs(rng, DE, 1)),
           '  <event timezone="Europe/Warsaw">\n'
           '    <session start="%s" end="%s">\n      <venue>\n' % (start, end),
           "".join('        <name xml:lang="%s">%s</name>\n' % (l, escape(v))
                   for l, v in zip(("pl", "en", "de"), venue[:3])),
           "        <address><street>%s</street><city>Gdańsk</city><country>PL</country></address>\n"
           % escape(venue[3]),
           "      </venue>\n    </session>\n", organisers, "  </event>\n</item>\n"]
    return slug, "".join(out)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    outdir = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    os.makedirs(outdir, exist_ok=True)
    rng = random.Random(2017)
    for n in range(1, count + 1):
        slug, doc = item(rng, n, n <= LONG)
        with open(os.path.join(outdir, "events-%s.xml" % slug), "w", encoding="utf-8") as f:
            f.write(doc)


if __name__ == "__main__":
    main()
