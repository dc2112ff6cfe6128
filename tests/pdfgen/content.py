"""What the fixture documents say: every piece type and decoy, in several wordings and layouts.

Two wording sets: ``dev`` (what the checker was tuned on) and ``heldout`` (other titles, other sentences,
other seeds; never used for tuning). Each generator returns a ``Doc``: blocks that ``render`` lays out.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Literal

Split = Literal["dev", "heldout"]
BlockKind = Literal[
    "title", "subtitle", "para", "heading", "plan", "small", "signature", "pagebreak", "letterhead"
]


@dataclass
class Block:
    kind: BlockKind
    text: str = ""
    plan: PlanSpec | None = None


@dataclass
class PlanSpec:
    rooms: list[tuple[str, float, float]]  # name, width m, depth m
    dimensions: bool = True
    scale: bool = True
    caption: str = ""


@dataclass
class Doc:
    kind: str  # the piece kind it is, or "decoy_*"
    blocks: list[Block] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)


LAST = [
    "Rossi",
    "Martin",
    "Bernard",
    "Giordano",
    "Lefèvre",
    "Moreau",
    "Ferrari",
    "Dubois",
    "Bianchi",
    "Garnier",
    "Fontana",
    "Laurent",
    "Mercier",
    "Colombo",
    "Rousseau",
    "Marchetti",
    "Blanc",
    "Gauthier",
    "Ricci",
    "Fabre",
]
FIRST = [
    "Claire",
    "Marc",
    "Sophie",
    "Luca",
    "Isabelle",
    "Julien",
    "Giulia",
    "Thomas",
    "Camille",
    "Paolo",
    "Hélène",
    "Nicolas",
    "Francesca",
    "Antoine",
    "Élise",
    "Marco",
    "Nathalie",
    "Pierre",
    "Chiara",
    "Laure",
]
COMPANIES = [
    "VETOPHARM",
    "MONAVET DISTRIBUTION",
    "AZUR ANIMAL HEALTH",
    "PHARMAVET RIVIERA",
    "LABORATOIRES HERCULE",
    "MEDIVET MONACO",
    "PORT HERCULE PHARMA",
    "ZOOMED LOGISTIQUE",
    "ALPIVET",
    "CONDAMINE SANTE ANIMALE",
]
FORMS = ["S.A.M.", "SARL", "S.A.M.", "SNC"]
STREETS = [
    "avenue de la Costa",
    "boulevard Albert Ier",
    "rue Grimaldi",
    "boulevard Charles III",
    "avenue Princesse Grace",
    "rue de Millo",
    "quai Antoine Ier",
    "avenue de Fontvieille",
    "rue du Gabian",
    "chemin des Révoires",
]
CITIES_FR = ["Monaco", "Nice", "Marseille", "Lyon", "Toulouse", "Montpellier"]
UNIV_FR = [
    "Université Côte d'Azur",
    "Aix-Marseille Université",
    "Université Claude Bernard Lyon 1",
    "Université de Montpellier",
    "Université Paris Cité",
    "Université de Toulouse",
]
UNIV_IT = [
    "Università degli Studi di Genova",
    "Università degli Studi di Torino",
    "Università di Pisa",
    "Università degli Studi di Milano",
]
UNIV_EN = [
    "University of London",
    "University of Bath",
    "University College Dublin",
    "University of Nottingham",
]


def person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST), rng.choice(LAST)


def company(rng: random.Random) -> tuple[str, str]:
    return rng.choice(COMPANIES), rng.choice(FORMS)


def address(rng: random.Random) -> str:
    return f"{rng.randint(1, 48)} {rng.choice(STREETS)}, 98000 Monaco"


def fr_date(day: dt.date) -> str:
    months = [
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
    ]
    return f"{day.day} {months[day.month - 1]} {day.year}"


def recent(rng: random.Random, max_days: int = 60) -> dt.date:
    return dt.date.today() - dt.timedelta(days=rng.randint(3, max_days))


def pick(rng: random.Random, split: Split, dev: list[str], heldout: list[str]) -> str:
    return rng.choice(dev if split == "dev" else heldout)


def paras(rng: random.Random, pool: list[str], k: int) -> list[Block]:
    chosen = rng.sample(pool, min(k, len(pool)))
    return [Block("para", p) for p in chosen]


OCR_CONFUSIONS = [
    ("l", "I"),
    ("i", "l"),
    ("é", "e"),
    ("è", "e"),
    ("o", "0"),
    ("rn", "m"),
    ("m", "rn"),
    ("e", "c"),
    ("à", "a"),
    ("t", "f"),
    ("S", "5"),
    ("ç", "c"),
    ("u", "ii"),
    ("h", "b"),
]


def with_ocr_errors(doc: Doc, rng: random.Random, rate: float = 0.04) -> Doc:
    """Return the document as a copier's OCR would write its text layer: a few characters confused."""

    def damage(text: str) -> str:
        out = text
        for _ in range(max(1, int(len(text) * rate / 2))):
            wrong, right = rng.choice(OCR_CONFUSIONS)
            positions = [i for i in range(len(out)) if out.startswith(wrong, i)]
            if positions:
                i = rng.choice(positions)
                out = out[:i] + right + out[i + len(wrong) :]
        return out

    blocks = [Block(b.kind, damage(b.text) if b.text else b.text, b.plan) for b in doc.blocks]
    return Doc(doc.kind, blocks, dict(doc.names))


# ----------------------------------------------------------------------------------------------------------
# Pieces.


def diploma(
    rng: random.Random,
    split: Split,
    language: str = "fr",
    certified: bool = True,
    holder: tuple[str, str] | None = None,
) -> Doc:
    first, last = holder or person(rng)
    born = dt.date(rng.randint(1965, 1995), rng.randint(1, 12), rng.randint(1, 28))
    issued = dt.date(born.year + rng.randint(25, 30), rng.randint(1, 12), rng.randint(1, 28))
    blocks: list[Block] = []
    vet = rng.random() < 0.4
    if language == "fr":
        blocks.append(Block("small", "RÉPUBLIQUE FRANÇAISE"))
        blocks.append(
            Block(
                "small",
                pick(
                    rng,
                    split,
                    ["Ministère de l'Enseignement supérieur et de la Recherche"],
                    ["Ministère de l'Enseignement supérieur, de la Recherche et de l'Innovation"],
                ),
            )
        )
        blocks.append(Block("subtitle", rng.choice(UNIV_FR)))
        if vet:
            title = pick(
                rng,
                split,
                ["DIPLÔME D'ÉTAT DE DOCTEUR VÉTÉRINAIRE", "Diplôme de Docteur Vétérinaire"],
                ["DIPLÔME D'ÉTAT DE DOCTEUR VÉTÉRINAIRE", "DOCTEUR VÉTÉRINAIRE — DIPLÔME D'ÉTAT"],
            )
        else:
            title = pick(
                rng,
                split,
                ["DIPLÔME D'ÉTAT DE DOCTEUR EN PHARMACIE", "Diplôme de Docteur en Pharmacie"],
                ["DIPLÔME D'ÉTAT DE DOCTEUR EN PHARMACIE", "Doctorat d'exercice — Docteur en Pharmacie"],
            )
        blocks.append(Block("title", title))
        blocks += paras(
            rng,
            [
                f"Vu le code de l'éducation ; vu la soutenance de la thèse le {fr_date(issued - dt.timedelta(days=40))} ;",
                "Vu le procès-verbal du jury attestant que l'intéressé(e) a satisfait aux épreuves,",
                "Vu les arrêtés relatifs au régime des études en vue du diplôme,",
            ],
            2,
        )
        blocks.append(
            Block(
                "para",
                pick(
                    rng,
                    split,
                    [
                        f"Le diplôme d'État de docteur est conféré à {first} {last.upper()}, né(e) le {born.strftime('%d/%m/%Y')} "
                        f"à {rng.choice(CITIES_FR)}, pour en jouir avec les droits et prérogatives qui y sont attachés.",
                        f"Le titre est délivré à {last.upper()} {first}, né(e) le {fr_date(born)}, qui a soutenu sa thèse avec succès.",
                    ],
                    [
                        f"Est conféré à M./Mme {first} {last.upper()}, né(e) le {born.strftime('%d/%m/%Y')}, le grade correspondant, "
                        "avec les droits et prérogatives qui s'y rattachent.",
                        f"Titulaire : {last.upper()} {first} — date de naissance : {fr_date(born)}.",
                    ],
                ),
            )
        )
        blocks.append(Block("para", f"Fait à {rng.choice(CITIES_FR)}, le {fr_date(issued)}"))
        blocks.append(
            Block(
                "signature",
                pick(
                    rng,
                    split,
                    ["Le Recteur d'académie          Le Président de l'université"],
                    ["Pour le Ministre, le Recteur          Le Président de l'université"],
                ),
            )
        )
    elif language == "it":
        blocks.append(Block("small", "REPUBBLICA ITALIANA"))
        blocks.append(Block("subtitle", rng.choice(UNIV_IT)))
        blocks.append(
            Block(
                "title",
                pick(
                    rng,
                    split,
                    ["DIPLOMA DI LAUREA", "Diploma di Laurea Magistrale"],
                    ["DIPLOMA DI LAUREA MAGISTRALE A CICLO UNICO", "DIPLOMA DI LAUREA"],
                ),
            )
        )
        course = "Medicina Veterinaria" if vet else "Farmacia"
        blocks.append(
            Block(
                "para",
                f"Il Rettore, visti gli atti, conferisce a {first} {last}, nato/a il "
                f"{born.strftime('%d/%m/%Y')}, la Laurea Magistrale in {course}.",
            )
        )
        blocks.append(
            Block(
                "para",
                pick(
                    rng,
                    split,
                    [
                        "conseguita con la votazione di 108/110.",
                        "Classe LM-13 Farmacia e farmacia industriale.",
                    ],
                    ["con la votazione di 110/110 e lode.", "ai sensi del decreto ministeriale 270/2004."],
                ),
            )
        )
        blocks.append(
            Block(
                "para",
                f"Dato a {rng.choice(['Genova', 'Torino', 'Pisa', 'Milano'])}, il {issued.strftime('%d/%m/%Y')}",
            )
        )
        blocks.append(Block("signature", "Il Rettore          Il Direttore Generale"))
    else:
        blocks.append(Block("subtitle", rng.choice(UNIV_EN)))
        course = (
            "Doctor of Veterinary Medicine"
            if vet
            else pick(
                rng,
                split,
                ["Master of Pharmacy", "Doctor of Pharmacy"],
                ["Master of Pharmacy (MPharm)", "Doctor of Pharmacy"],
            )
        )
        blocks.append(Block("para", "This is to certify that"))
        blocks.append(Block("title", f"{first} {last}"))
        blocks.append(
            Block(
                "para",
                f"having fulfilled the requirements of the University has this day been conferred "
                f"the degree of {course}.",
            )
        )
        blocks.append(
            Block("para", f"Given under the seal of the University on {issued.strftime('%d %B %Y')}.")
        )
        blocks.append(Block("signature", "Vice-Chancellor          Registrar"))
    if certified:
        blocks.append(
            Block(
                "small",
                pick(
                    rng,
                    split,
                    ["Copie certifiée conforme à l'original", "COPIE CERTIFIÉE CONFORME"],
                    ["Pour copie certifiée conforme à l'original", "Certifié conforme à l'original — Mairie"],
                )
                if language != "en"
                else "Certified true copy of the original",
            )
        )
    return Doc("diploma", blocks, {"first": first, "last": last})


LEASE_PARAS = [
    "Le bailleur donne à bail au preneur, qui accepte, les locaux ci-après désignés.",
    "Désignation des lieux : un local à usage d'entrepôt et de bureaux d'une surface de {area} m², "
    "situé au rez-de-chaussée de l'immeuble sis {addr}.",
    "Destination des lieux : les locaux sont destinés exclusivement à l'activité de distribution en gros de médicaments vétérinaires.",
    "Durée du bail : le présent bail est consenti pour une durée de neuf années entières et consécutives "
    "à compter du {start}.",
    "Loyer : le bail est consenti moyennant un loyer annuel de {rent} euros hors charges, payable trimestriellement d'avance.",
    "Dépôt de garantie : le preneur verse ce jour la somme de {deposit} euros à titre de dépôt de garantie.",
    "Charges locatives : le preneur remboursera au bailleur sa quote-part des charges de l'immeuble.",
    "Le preneur s'oblige à entretenir les lieux loués en bon état de réparations locatives.",
    "Le matériel de stockage (rayonnages, chambre froide) est mis à disposition du preneur avec les locaux.",
]
LEASE_PARAS_HELDOUT = [
    "Par les présentes, le bailleur loue au preneur les locaux dont la désignation suit, que le preneur déclare bien connaître.",
    "Les locaux loués, d'une superficie d'environ {area} m², dépendent de l'immeuble situé {addr}.",
    "Le preneur ne pourra exercer dans les lieux loués que l'activité d'établissement pharmaceutique vétérinaire.",
    "La location est conclue pour neuf ans, qui commenceront à courir le {start}, renouvelable dans les conditions légales.",
    "Le loyer est fixé à la somme annuelle de {rent} euros, augmentée des charges locatives.",
    "Une somme de {deposit} euros est remise au bailleur en garantie de l'exécution des obligations du locataire.",
    "Le locataire ne pourra céder son droit au bail sans l'accord exprès et écrit du bailleur.",
]


def premises_title(rng: random.Random, split: Split, variant: str = "lease") -> Doc:
    owner_co, _ = company(rng)
    tenant_co, form = company(rng)
    start = recent(rng, 400)
    values = {
        "area": rng.randint(120, 900),
        "addr": address(rng),
        "start": fr_date(start),
        "rent": f"{rng.randint(30, 160)} 000",
        "deposit": f"{rng.randint(8, 40)} 000",
    }
    blocks: list[Block] = []
    if variant == "lease":
        blocks.append(
            Block(
                "title",
                pick(
                    rng,
                    split,
                    ["CONTRAT DE BAIL COMMERCIAL", "Bail professionnel", "CONTRAT DE LOCATION"],
                    ["BAIL COMMERCIAL", "Contrat de bail — locaux professionnels", "CONTRAT DE BAIL"],
                ),
            )
        )
        blocks.append(
            Block(
                "para",
                f"ENTRE LES SOUSSIGNÉS : la société SCI {owner_co}, ci-après dénommée « le bailleur », d'une part,",
            )
        )
        blocks.append(
            Block(
                "para",
                f"ET : la société {tenant_co} {form}, dont le siège est {address(rng)}, ci-après dénommée « le preneur », d'autre part.",
            )
        )
        pool = LEASE_PARAS if split == "dev" else LEASE_PARAS_HELDOUT
        blocks.append(Block("heading", "IL A ÉTÉ CONVENU CE QUI SUIT :"))
        for i, text in enumerate(rng.sample(pool, min(len(pool), 6)), start=1):
            blocks.append(Block("para", f"Article {i}. " + text.format(**values)))
        blocks.append(
            Block("para", f"Fait en deux exemplaires à Monaco, le {fr_date(start - dt.timedelta(days=10))}.")
        )
        blocks.append(Block("signature", "Le bailleur          Le preneur (lu et approuvé)"))
    else:
        blocks.append(Block("letterhead", f"Maître {rng.choice(LAST)}, Notaire — {address(rng)}"))
        blocks.append(
            Block(
                "title",
                pick(
                    rng,
                    split,
                    ["ATTESTATION NOTARIÉE", "ATTESTATION DE PROPRIÉTÉ"],
                    ["ATTESTATION IMMOBILIÈRE APRÈS ACTE AUTHENTIQUE", "TITRE DE PROPRIÉTÉ"],
                ),
            )
        )
        blocks.append(
            Block(
                "para",
                f"Je soussigné, notaire, certifie que suivant acte authentique de vente reçu le "
                f"{fr_date(start)}, la société {tenant_co} {form} (l'acquéreur) a acquis de la société "
                f"SCI {owner_co} (le vendeur) les biens et droits immobiliers ci-après désignés.",
            )
        )
        blocks.append(
            Block(
                "para",
                f"Désignation des biens : dans un immeuble sis {values['addr']}, le lot numéro "
                f"{rng.randint(3, 60)} consistant en un local professionnel de {values['area']} m² "
                "et les locaux annexes.",
            )
        )
        blocks.append(
            Block(
                "para",
                f"Références cadastrales : section {rng.choice('ABCD')} numéro {rng.randint(10, 400)}.",
            )
        )
        blocks.append(
            Block(
                "para",
                f"Prix : {rng.randint(400, 3000)} 000 euros, payé comptant. Publication au bureau des hypothèques.",
            )
        )
        blocks.append(Block("para", f"Fait à Monaco, le {fr_date(start + dt.timedelta(days=5))}."))
        blocks.append(Block("signature", "Le Notaire"))
    return Doc("premises_title", blocks)


ROOMS = [
    "Réception",
    "Quarantaine",
    "Stockage",
    "Chambre froide",
    "Expédition",
    "Bureau",
    "Archives",
    "Vestiaire",
    "Sanitaires",
    "Zone de préparation",
    "Quai de chargement",
    "Local déchets",
    "Stupéfiants",
]


def _rooms(rng: random.Random, n: int) -> list[tuple[str, float, float]]:
    names = rng.sample(ROOMS, n)
    return [(name, round(rng.uniform(2.4, 9.5), 2), round(rng.uniform(2.2, 7.5), 2)) for name in names]


def floor_plan(rng: random.Random, split: Split, dimensions: bool = True) -> Doc:
    blocks: list[Block] = [
        Block(
            "title",
            pick(
                rng,
                split,
                ["PLAN COTÉ DES LOCAUX", "Plan des locaux — rez-de-chaussée"],
                ["PLAN D'AMÉNAGEMENT — NIVEAU 0", "Plan coté — établissement pharmaceutique vétérinaire"],
            ),
        ),
        Block("small", f"Établissement : {address(rng)}"),
        Block(
            "plan",
            plan=PlanSpec(
                _rooms(rng, rng.randint(5, 8)),
                dimensions=dimensions,
                scale=dimensions,
                caption=pick(rng, split, ["Surface totale : {total} m²"], ["Surface utile : {total} m²"]),
            ),
        ),
        Block(
            "para",
            pick(
                rng,
                split,
                [
                    "Utilisation des locaux : réception des marchandises, quarantaine, stockage à température "
                    "dirigée, préparation et expédition des commandes.",
                    "Légende : flux entrant par le quai de chargement, zone de stockage séparée de la zone d'expédition.",
                ],
                [
                    "Affectation des zones : réception, stockage, expédition ; la chambre froide est maintenue entre 2 et 8 °C.",
                    "Circulation des produits : entrée par le quai, contrôle, rangement, préparation des commandes.",
                ],
            ),
        ),
    ]
    return Doc("floor_plan", blocks)


def sketch(rng: random.Random, split: Split) -> Doc:
    """A decoy: a rough drawing with no dimensions, no scale and no title of a plan."""
    return Doc(
        "decoy_sketch",
        [
            Block(
                "subtitle",
                pick(
                    rng,
                    split,
                    ["Idées d'aménagement du stand", "Croquis — disposition du salon"],
                    ["Esquisse pour le séminaire", "Brouillon — organisation de l'espace d'accueil"],
                ),
            ),
            Block("plan", plan=PlanSpec(_rooms(rng, rng.randint(3, 5)), dimensions=False, scale=False)),
            Block("para", "À discuter avec l'équipe lors de la prochaine réunion."),
        ],
    )


STATUTE_ARTICLES = [
    (
        "Forme",
        "Il est formé entre les propriétaires des actions ci-après créées une société anonyme monégasque régie par les lois de la Principauté de Monaco et par les présents statuts.",
    ),
    ("Dénomination", "La société prend la dénomination de « {co} »."),
    (
        "Siège social",
        "Le siège social est fixé à {addr}. Il pourra être transféré en tout endroit de la Principauté.",
    ),
    (
        "Objet social",
        "La société a pour objet, en Principauté de Monaco et à l'étranger : la distribution en gros, le stockage et l'exportation de médicaments vétérinaires.",
    ),
    (
        "Durée",
        "La durée de la société est fixée à quatre-vingt-dix-neuf années à compter de sa constitution définitive.",
    ),
    (
        "Capital social",
        "Le capital social est fixé à la somme de {capital} euros, divisé en {shares} actions de {nominal} euros chacune, entièrement libérées.",
    ),
    (
        "Forme des actions",
        "Les actions sont obligatoirement nominatives. Elles donnent lieu à l'établissement de certificats.",
    ),
    (
        "Conseil d'administration",
        "La société est administrée par un conseil composé de deux membres au moins et de sept au plus.",
    ),
    (
        "Assemblées générales",
        "Les assemblées générales sont convoquées par le conseil d'administration ou, à défaut, par les commissaires aux comptes.",
    ),
    ("Exercice social", "L'année sociale commence le premier janvier et finit le trente et un décembre."),
    (
        "Répartition des bénéfices",
        "Les produits nets de l'exercice, déduction faite des frais généraux, constituent les bénéfices nets.",
    ),
    (
        "Dissolution",
        "En cas de perte des trois quarts du capital social, les administrateurs sont tenus de provoquer la réunion d'une assemblée générale extraordinaire.",
    ),
]
STATUTE_ARTICLES_HELDOUT = [
    (
        "Forme",
        "La société est une société à responsabilité limitée, régie par la législation en vigueur et par les présents statuts.",
    ),
    (
        "Objet",
        "La société a pour objet le commerce de gros des produits pharmaceutiques vétérinaires et toutes opérations s'y rattachant.",
    ),
    ("Raison sociale", "La société a pour raison sociale « {co} »."),
    ("Siège", "Le siège de la société est établi {addr}."),
    ("Durée", "La société est constituée pour une durée de cinquante années."),
    ("Apports", "Les associés ont fait apport à la société d'une somme en numéraire de {capital} euros."),
    (
        "Capital social",
        "Le capital est fixé à {capital} euros ; il est divisé en {shares} parts sociales de {nominal} euros chacune.",
    ),
    (
        "Gérance",
        "La société est gérée par un ou plusieurs gérants, associés ou non, nommés par décision collective des associés.",
    ),
    (
        "Décisions collectives",
        "Les décisions collectives sont prises en assemblée ou par consultation écrite des associés.",
    ),
    (
        "Comptes annuels",
        "L'exercice social a une durée de douze mois ; le gérant établit les comptes annuels.",
    ),
]


def statutes(rng: random.Random, split: Split) -> Doc:
    co, form = company(rng)
    capital = rng.choice([150000, 300000, 500000, 1000000])
    shares = rng.choice([1000, 1500, 3000])
    values = {
        "co": f"{co} {form}",
        "addr": address(rng),
        "capital": f"{capital:,}".replace(",", " "),
        "shares": shares,
        "nominal": capital // shares,
    }
    pool = STATUTE_ARTICLES if split == "dev" else STATUTE_ARTICLES_HELDOUT
    blocks: list[Block] = [
        Block(
            "title", pick(rng, split, ["STATUTS", "STATUTS DE LA SOCIÉTÉ"], ["STATUTS MIS À JOUR", "STATUTS"])
        ),
        Block("subtitle", f"{co} {form} — au capital de {values['capital']} euros"),
    ]
    articles = pool[:]
    n = rng.randint(max(6, len(articles) - 3), len(articles))
    style = (
        rng.choice(["ARTICLE {i}", "Article {i}", "Art. {i}"])
        if split == "dev"
        else rng.choice(["ARTICLE {i} —", "Article {i} :"])
    )
    for i, (head, text) in enumerate(articles[:n], start=1):
        label = style.format(i="PREMIER" if i == 1 and rng.random() < 0.3 else i)
        blocks.append(Block("heading", f"{label} {head}"))
        blocks.append(Block("para", text.format(**values)))
    return Doc("statutes", blocks)


def company_registration(rng: random.Random, split: Split, old: bool = False, variant: str = "rci") -> Doc:
    co, form = company(rng)
    when = recent(rng, 50) if not old else dt.date.today() - dt.timedelta(days=rng.randint(200, 900))
    first, last = person(rng)
    blocks: list[Block] = []
    if variant == "rci":
        blocks.append(Block("small", "PRINCIPAUTÉ DE MONACO — Direction du Développement Économique"))
        blocks.append(
            Block(
                "title",
                pick(
                    rng,
                    split,
                    [
                        "EXTRAIT DU RÉPERTOIRE DU COMMERCE ET DE L'INDUSTRIE",
                        "Répertoire du Commerce et de l'Industrie — Extrait",
                    ],
                    ["RÉPERTOIRE DU COMMERCE ET DE L'INDUSTRIE", "EXTRAIT R.C.I."],
                ),
            )
        )
        blocks.append(
            Block(
                "para",
                f"Numéro d'immatriculation : RCI {rng.randint(10, 24):02d} S {rng.randint(1000, 9999):05d}"
                if split == "dev"
                else f"N° RCI : {rng.randint(10, 24)} S {rng.randint(10000, 99999)}",
            )
        )
        blocks.append(Block("para", f"Dénomination : {co}    Forme juridique : {form}"))
        blocks.append(Block("para", f"Siège social : {address(rng)}"))
        blocks.append(Block("para", f"Capital : {rng.choice([150, 300, 500])} 000 euros"))
        blocks.append(
            Block("para", "Activité : distribution en gros de médicaments vétérinaires, import, export.")
        )
        blocks.append(Block("para", f"Dirigeants : {first} {last.upper()}, administrateur délégué"))
        blocks.append(
            Block("para", f"Date d'immatriculation : {(when - dt.timedelta(days=2000)).strftime('%d/%m/%Y')}")
        )
        blocks.append(Block("para", f"Extrait délivré le {when.strftime('%d/%m/%Y')}"))
    else:
        blocks.append(Block("small", f"Greffe du Tribunal de Commerce de {rng.choice(CITIES_FR[1:])}"))
        blocks.append(
            Block(
                "title",
                pick(
                    rng,
                    split,
                    ["EXTRAIT KBIS"],
                    ["Extrait d'immatriculation principale au registre du commerce et des sociétés"],
                ),
            )
        )
        siren = f"{rng.randint(100, 999)} {rng.randint(100, 999)} {rng.randint(100, 999)}"
        blocks.append(
            Block("para", f"Immatriculation au RCS, numéro {siren} R.C.S. {rng.choice(CITIES_FR[1:])}")
        )
        blocks.append(Block("para", f"Date d'immatriculation : {fr_date(when - dt.timedelta(days=3000))}"))
        blocks.append(
            Block(
                "para",
                f"Dénomination ou raison sociale : {co}  Forme juridique : Société par actions simplifiée",
            )
        )
        blocks.append(
            Block("para", "Activités principales : commerce de gros de produits pharmaceutiques vétérinaires")
        )
        blocks.append(Block("para", f"Président : {last.upper()} {first}"))
        blocks.append(Block("para", f"Le Greffier, à jour au {fr_date(when)}"))
    return Doc("company_registration", blocks)


def designation_decision(rng: random.Random, split: Split, holder: tuple[str, str] | None = None) -> Doc:
    co, form = company(rng)
    first, last = holder or person(rng)
    when = recent(rng, 120)
    role = rng.choice(["pharmacien responsable", "vétérinaire responsable"])
    blocks = [
        Block("letterhead", f"{co} {form} — {address(rng)}"),
        Block(
            "title",
            pick(
                rng,
                split,
                [f"DÉCISION DE DÉSIGNATION DU {role.upper()}", f"Nomination du {role}"],
                [
                    f"DÉSIGNATION DU {role.upper()}",
                    f"Décision du conseil d'administration — désignation du {role}",
                ],
            ),
        ),
        Block("para", f"Le conseil d'administration de la société {co} {form}, réuni le {fr_date(when)},"),
        Block(
            "para",
            pick(
                rng,
                split,
                [
                    f"après en avoir délibéré, désigne {first} {last}, docteur en pharmacie, en qualité de {role} "
                    "au sens de l'article 18 de la loi n° 1.257 du 12 juillet 2002.",
                    f"décide de nommer {first} {last.upper()} en qualité de {role} de l'établissement.",
                ],
                [
                    f"nomme {first} {last} {role} de la société, au sens de l'article 18 de la loi n° 1.257, à compter de ce jour.",
                    f"désigne {last.upper()} {first} pour exercer les fonctions de {role}.",
                ],
            ),
        ),
        Block(
            "para",
            f"{first} {last} déclare accepter ces fonctions et n'être frappé(e) d'aucune incompatibilité.",
        ),
        Block("para", f"Fait à Monaco, le {fr_date(when)}."),
        Block("signature", "Le Président du conseil d'administration"),
    ]
    return Doc("designation_decision", blocks)


def plans_before_after(rng: random.Random, split: Split) -> Doc:
    rooms = _rooms(rng, 5)
    after = [(n, round(w * rng.uniform(1.0, 1.4), 2), d) for n, w, d in rooms]
    blocks = [
        Block(
            "title",
            pick(
                rng,
                split,
                ["PLAN — ÉTAT ACTUEL (AVANT MODIFICATION)", "Plans avant et après travaux"],
                ["ÉTAT EXISTANT", "Modification des locaux — plan avant modification"],
            ),
        ),
        Block("plan", plan=PlanSpec(rooms, caption="Surface : {total} m²")),
        Block("pagebreak"),
        Block(
            "subtitle",
            pick(
                rng, split, ["PLAN — ÉTAT PROJETÉ (APRÈS MODIFICATION)"], ["ÉTAT PROJETÉ APRÈS MODIFICATION"]
            ),
        ),
        Block("plan", plan=PlanSpec(after, caption="Surface : {total} m²")),
        Block(
            "para",
            "Indications techniques : création d'une cloison coupe-feu, extension de la zone de stockage, "
            "déplacement de la chambre froide ; ventilation et alarme de température adaptées.",
        ),
    ]
    return Doc("plans_before_after", blocks)


def impact_note(rng: random.Random, split: Split) -> Doc:
    co, form = company(rng)
    blocks = [
        Block("letterhead", f"{co} {form}"),
        Block(
            "title",
            pick(
                rng,
                split,
                ["NOTE D'IMPACT DE LA MODIFICATION ENVISAGÉE", "Note explicative relative à la modification"],
                [
                    "NOTE RELATIVE À LA MODIFICATION DES LOCAUX",
                    "Importance de la modification et conséquences",
                ],
            ),
        ),
        *paras(
            rng,
            [
                "La modification envisagée consiste en l'extension de la zone de stockage de 120 m² par l'adjonction d'un local contigu.",
                "Conséquences sur l'activité : la capacité de stockage augmente de 30 % ; les opérations de réception et d'expédition ne sont pas modifiées.",
                "Les travaux seront réalisés en site occupé ; la continuité de la distribution est assurée par un phasage en deux étapes.",
                "Calendrier : début des travaux le mois prochain, durée prévue de six semaines.",
                "Les bonnes pratiques de distribution restent respectées pendant toute la durée des travaux.",
                "Aucune nouvelle forme pharmaceutique n'est concernée ; l'équipement informatique de gestion des stocks est mis à jour.",
            ],
            4,
        ),
        Block("para", f"Fait à Monaco, le {fr_date(recent(rng))}."),
        Block("signature", "Le pharmacien responsable"),
    ]
    return Doc("impact_note", blocks)


def conditions_statement(rng: random.Random, split: Split) -> Doc:
    first, last = person(rng)
    kind = rng.choice(["changement de propriété", "mise en location-gérance"])
    blocks = [
        Block(
            "title",
            pick(
                rng,
                split,
                [
                    "DÉCLARATION DU PHARMACIEN RESPONSABLE",
                    "Conditions d'exercice des activités après le changement",
                ],
                [
                    "Note sur les conditions d'exploitation après transfert",
                    "DÉCLARATION DU VÉTÉRINAIRE RESPONSABLE",
                ],
            ),
        ),
        Block(
            "para",
            f"Je soussigné(e) {first} {last}, pharmacien responsable, précise les conditions dans lesquelles "
            f"les activités seront exercées dans l'établissement à la suite du {kind}.",
        ),
        *paras(
            rng,
            [
                "Le personnel est intégralement repris par le nouveau propriétaire ; l'organisation de l'établissement est inchangée.",
                "Les activités de distribution en gros se poursuivent sans interruption, dans les mêmes locaux.",
                "Le système qualité et les procédures de pharmacovigilance sont maintenus.",
                "Le pharmacien responsable intérimaire reste en fonction jusqu'à la décision ministérielle.",
            ],
            3,
        ),
        Block("para", f"Fait à Monaco, le {fr_date(recent(rng))}."),
        Block("signature", f"{first} {last}"),
    ]
    return Doc("conditions_statement", blocks)


def acquisition_act(rng: random.Random, split: Split, variant: str = "sale") -> Doc:
    seller, f1 = company(rng)
    buyer, f2 = company(rng)
    when = recent(rng, 90)
    if variant == "sale":
        title = pick(
            rng,
            split,
            ["ACTE DE CESSION DE FONDS DE COMMERCE", "Protocole de cession"],
            [
                "CESSION DE FONDS DE COMMERCE",
                "ACTE D'ACQUISITION D'UN ÉTABLISSEMENT PHARMACEUTIQUE VÉTÉRINAIRE",
            ],
        )
        body = [
            f"Entre les soussignés : la société {seller} {f1}, ci-après « le cédant », et la société {buyer} {f2}, ci-après « le cessionnaire ».",
            "Le cédant cède au cessionnaire, qui accepte, le fonds de commerce d'établissement pharmaceutique vétérinaire "
            f"exploité {address(rng)}, comprenant la clientèle, le droit au bail et le matériel.",
            f"Prix de cession : {rng.randint(200, 2000)} 000 euros, payable comptant.",
            f"Entrée en jouissance : {fr_date(when + dt.timedelta(days=30))}, sous réserve du transfert de l'autorisation ministérielle.",
        ]
    else:
        title = pick(
            rng, split, ["CONTRAT DE LOCATION-GÉRANCE"], ["Contrat de location gérance du fonds de commerce"]
        )
        body = [
            f"Entre : la société {seller} {f1}, propriétaire du fonds, ci-après « le loueur », et la société {buyer} {f2}, ci-après « le locataire-gérant ».",
            f"Le loueur donne en location-gérance au locataire-gérant le fonds d'établissement pharmaceutique vétérinaire exploité {address(rng)}.",
            f"Durée : trois années à compter du {fr_date(when + dt.timedelta(days=30))}.",
            f"Redevance : {rng.randint(2, 20)} 000 euros par mois.",
        ]
    blocks = [
        Block("title", title),
        *[Block("para", t) for t in body],
        Block("para", f"Fait à Monaco, le {fr_date(when)}, en trois exemplaires."),
        Block(
            "signature",
            "Le cédant          Le cessionnaire"
            if variant == "sale"
            else "Le loueur          Le locataire-gérant",
        ),
    ]
    return Doc("acquisition_act", blocks)


def board_minutes(rng: random.Random, split: Split, approves: bool = True, co: str | None = None) -> Doc:
    name, form = company(rng)
    name = co or name
    when = recent(rng, 90)
    first, last = person(rng)
    blocks = [
        Block(
            "title",
            pick(
                rng,
                split,
                [
                    "PROCÈS-VERBAL DE LA RÉUNION DU CONSEIL D'ADMINISTRATION",
                    "Procès-verbal de l'assemblée générale extraordinaire",
                ],
                ["EXTRAIT DU PROCÈS-VERBAL DES DÉLIBÉRATIONS", "PROCÈS-VERBAL DES DÉCISIONS DES ASSOCIÉS"],
            ),
        ),
        Block("subtitle", f"{name} {form} — séance du {fr_date(when)}"),
        Block(
            "para",
            f"Sont présents : {first} {last} (président de séance), {' , '.join(' '.join(person(rng)) for _ in range(2))}. "
            "Le quorum étant atteint, le conseil peut valablement délibérer.",
        ),
        Block("heading", "Ordre du jour :"),
        Block(
            "para",
            "1. Transfert de l'autorisation d'ouverture de l'établissement pharmaceutique vétérinaire ; 2. Pouvoirs."
            if approves
            else "1. Approbation des comptes de l'exercice ; 2. Affectation du résultat ; 3. Questions diverses.",
        ),
    ]
    if approves:
        blocks.append(
            Block(
                "para",
                pick(
                    rng,
                    split,
                    [
                        "Après en avoir délibéré, le conseil approuve le transfert de propriété de l'établissement au profit du cessionnaire. "
                        "Cette résolution est adoptée à l'unanimité.",
                        "Après en avoir délibéré, le conseil autorise la cession du fonds et la mise en location-gérance de l'établissement. "
                        "Résolution adoptée à l'unanimité.",
                    ],
                    [
                        "L'assemblée, après en avoir délibéré, approuve la cession de l'établissement et le transfert de l'autorisation. "
                        "Adoptée à l'unanimité des voix.",
                        "Le conseil, après délibération, donne son accord au transfert de l'établissement ; la résolution est adoptée.",
                    ],
                ),
            )
        )
    else:
        blocks.append(
            Block(
                "para",
                "Après en avoir délibéré, le conseil approuve les comptes de l'exercice. Résolution adoptée à l'unanimité.",
            )
        )
    blocks.append(Block("para", "Plus rien n'étant à l'ordre du jour, la séance est levée."))
    blocks.append(Block("signature", "Le Président de séance          Le Secrétaire de séance"))
    return Doc("board_minutes", blocks)


# ----------------------------------------------------------------------------------------------------------
# Decoys: documents an applicant may well upload, that are no piece.


def invoice(rng: random.Random, split: Split) -> Doc:
    co, form = company(rng)
    lines = [
        f"{rng.choice(['Rayonnage métallique', 'Thermomètre enregistreur', 'Étiqueteuse', 'Palette', 'Cloison vitrée'])} "
        f"— {rng.randint(1, 12)} × {rng.randint(20, 900)},{rng.randint(10, 99)} € = {rng.randint(100, 5000)},{rng.randint(10, 99)} €"
        for _ in range(5)
    ]
    return Doc(
        "decoy_invoice",
        [
            Block("letterhead", f"{co} {form} — {address(rng)}"),
            Block(
                "title",
                pick(
                    rng,
                    split,
                    ["FACTURE", "Facture n° " + str(rng.randint(1000, 9999))],
                    ["FACTURE PROFORMA", "INVOICE"],
                ),
            ),
            Block("para", f"Date : {recent(rng).strftime('%d/%m/%Y')} — Client : {company(rng)[0]}"),
            *[Block("para", t) for t in lines],
            Block(
                "para",
                f"Total HT : {rng.randint(1000, 9000)},00 €   TVA 20 % : {rng.randint(200, 1800)},00 €   Total TTC : {rng.randint(1200, 11000)},00 €",
            ),
            Block(
                "small",
                "Conditions de paiement : 30 jours fin de mois. Pénalités de retard : 3 fois le taux d'intérêt légal.",
            ),
        ],
    )


def cv(rng: random.Random, split: Split) -> Doc:
    first, last = person(rng)
    return Doc(
        "decoy_cv",
        [
            Block("title", f"{first} {last}"),
            Block(
                "subtitle",
                pick(
                    rng,
                    split,
                    ["CURRICULUM VITAE", "Curriculum vitae — Pharmacien"],
                    ["CURRICULUM VITAE", "CV — Docteur vétérinaire"],
                ),
            ),
            Block("heading", "Expérience professionnelle"),
            Block(
                "para",
                "2016–2024 : pharmacien adjoint, établissement de distribution en gros, Nice. Suivi des lots, pharmacovigilance.",
            ),
            Block("para", "2012–2016 : assistant en officine, Marseille."),
            Block("heading", "Formation"),
            Block("para", f"Diplôme d'État de docteur en pharmacie, {rng.choice(UNIV_FR)}, 2012."),
            Block("heading", "Compétences"),
            Block(
                "para", "Bonnes pratiques de distribution, assurance qualité, anglais et italien courants."
            ),
            Block("heading", "Centres d'intérêt"),
            Block("para", "Voile, randonnée, photographie."),
        ],
    )


def brochure(rng: random.Random, split: Split) -> Doc:
    co, _ = company(rng)
    return Doc(
        "decoy_brochure",
        [
            Block(
                "title",
                pick(
                    rng,
                    split,
                    [f"{co} — Catalogue 2025", f"Découvrez {co}"],
                    [f"Brochure {co}", f"{co} : nos solutions"],
                ),
            ),
            Block(
                "para",
                "Depuis vingt ans, nous accompagnons les vétérinaires et les éleveurs avec une gamme complète de produits.",
            ),
            Block(
                "para",
                "Antiparasitaires, vaccins, aliments diététiques : livraison en 24 heures sur toute la Côte d'Azur.",
            ),
            Block(
                "para",
                "Notre entrepôt de 2 000 m² à température dirigée garantit la qualité de vos produits.",
            ),
            Block("para", "Contactez notre service commercial : commandes@exemple.mc — 0 800 000 000."),
        ],
    )


def convocation(rng: random.Random, split: Split) -> Doc:
    co, form = company(rng)
    when = dt.date.today() + dt.timedelta(days=rng.randint(10, 40))
    return Doc(
        "decoy_convocation",
        [
            Block("letterhead", f"{co} {form}"),
            Block(
                "title",
                pick(
                    rng,
                    split,
                    ["CONVOCATION À L'ASSEMBLÉE GÉNÉRALE ORDINAIRE", "Avis de convocation"],
                    ["CONVOCATION", "Convocation du conseil d'administration"],
                ),
            ),
            Block(
                "para",
                f"Mesdames et Messieurs les actionnaires sont convoqués en assemblée générale le {fr_date(when)} "
                "à 10 heures au siège social, à l'effet de délibérer sur l'ordre du jour suivant :",
            ),
            Block("heading", "Ordre du jour"),
            Block(
                "para",
                "1. Rapport du conseil d'administration ; 2. Transfert de l'établissement : information ; 3. Questions diverses.",
            ),
            Block("para", "Vous êtes prié d'assister à cette réunion ou de vous y faire représenter."),
            Block("signature", "Le Conseil d'administration"),
        ],
    )


def cover_letter(rng: random.Random, split: Split) -> Doc:
    first, last = person(rng)
    return Doc(
        "decoy_letter",
        [
            Block("letterhead", f"{first} {last} — {address(rng)}"),
            Block("para", "Monsieur le Ministre d'État,"),
            Block(
                "para",
                "Veuillez trouver ci-joint les pièces de mon dossier. Je reste à votre disposition pour tout complément.",
            ),
            Block(
                "para", "Je vous prie d'agréer, Monsieur le Ministre, l'expression de ma haute considération."
            ),
            Block("signature", f"{first} {last}"),
        ],
    )


PIECE_MAKERS = {
    "diploma": diploma,
    "premises_title": premises_title,
    "floor_plan": floor_plan,
    "statutes": statutes,
    "company_registration": company_registration,
    "designation_decision": designation_decision,
    "plans_before_after": plans_before_after,
    "impact_note": impact_note,
    "conditions_statement": conditions_statement,
    "acquisition_act": acquisition_act,
    "board_minutes": board_minutes,
}
DECOY_MAKERS = {
    "invoice": invoice,
    "cv": cv,
    "brochure": brochure,
    "convocation": convocation,
    "sketch": sketch,
    "letter": cover_letter,
}
