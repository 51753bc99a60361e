"""Build the synthetic world of week 10: people, their attributes and the texts written about them.

Everything is made up and seeded, so nothing is downloaded and every fact has a known answer.
It follows the bioS data set of Allen-Zhu & Li, "Physics of Language Models: Part 3.1,
Knowledge Storage and Extraction" (2023), at a size a laptop CPU can learn:

- N people with a unique two-word name (first names carry a pronoun) and five attributes, each
  drawn uniformly from a fixed pool: birth date, birth city, university, major, employer.
- Five paraphrase templates per attribute. A biography is one sentence per attribute.
  * single (`bios_single.txt`): one biography per person, templates drawn once, sentences in the
    fixed attribute order, the full name in the first sentence and the pronoun afterwards;
  * augmented (`bios_augmented.txt`): five biographies per person, each with its own templates,
    its sentences shuffled and the full name in every sentence ("multi5 + permute + fullname").
  They are written by the notebook's `make_biographies` itself (its reference solution, loaded from
  source/week10_knowledge/knowledge.ipynb: torch.randint for the templates, then torch.randperm for
  the order), single then augmented from one `torch.Generator().manual_seed(BIO_SEED)`.
- Question-answer pairs, one per attribute and person, for the training half (`qa_train.txt`)
  and the test half (`qa_test.txt`) of the people.

    python data/knowledge/build.py            # from the course repository; writes the files here

The output is pure ASCII with Unix newlines; rebuilding writes identical bytes (SHA256SUMS).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path

import torch

SEED = 2024  # people and their attributes (random.Random)
BIO_SEED = 10  # biographies (torch.Generator), single then augmented from the same generator
N_PEOPLE = 400
AUGMENT = 5

FEMALE = ("Alice", "Anya", "Clara", "Diana", "Elena", "Fiona", "Grace", "Hannah", "Irene", "Julia", "Karen",
          "Laura", "Maria", "Nadia", "Olivia", "Paula", "Rosa", "Sara", "Tina", "Vera", "Wendy", "Yara",
          "Zoe", "Lena", "Mila")
MALE = ("Aaron", "Boris", "Carl", "David", "Edgar", "Felix", "Hugo", "Ivan", "Jonas", "Kevin", "Louis",
        "Marco", "Nico", "Oscar", "Peter", "Quentin", "Ralph", "Simon", "Tomas", "Victor", "Walter", "Xavier",
        "Yusuf", "Leon", "Emil")
LAST = ("Abbott", "Baker", "Carter", "Dalton", "Ellis", "Foster", "Garcia", "Hale", "Ingram", "Jensen",
        "Keller", "Larsen", "Moreno", "Novak", "Owens", "Porter", "Quinn", "Reyes", "Sutton", "Thorne",
        "Ulrich", "Vance", "Weber", "Young", "Zeller", "Brandt", "Castro", "Dunn", "Eriksen", "Falk")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
CITIES = ("Paris", "Berlin", "Madrid", "Rome", "Vienna", "Oslo", "Dublin", "Prague", "Lisbon", "Warsaw",
          "New York", "Los Angeles", "San Diego", "Hong Kong", "Buenos Aires", "Cape Town")
UNIVERSITIES = ("Stanford University", "Harvard University", "Yale University", "Princeton University",
                "University of Toronto", "University of Oxford", "University of Tokyo", "University of Chicago",
                "Massachusetts Institute of Technology", "California Institute of Technology",
                "ETH Zurich", "Cornell University")
MAJORS = ("physics", "chemistry", "biology", "history", "economics", "philosophy", "mathematics",
          "linguistics", "computer science", "civil engineering", "political science", "music")
EMPLOYERS = ("Google", "Microsoft", "Siemens", "Nestle", "Toyota", "Airbus", "Pfizer", "Shell", "Boeing",
             "General Motors", "Deutsche Bank", "Procter and Gamble")
POOLS = {  # attribute -> its values (birth dates are drawn separately)
    "birth_city": CITIES,
    "university": UNIVERSITIES,
    "major": MAJORS,
    "employer": EMPLOYERS,
}
ATTRIBUTES = ("birth_date", "birth_city", "university", "major", "employer")

# Every template starts with {subject} (a pronoun fits) and ends with "{value} ." so that the words
# before {value} are a cloze prompt.
TEMPLATES = {
    "birth_date": ["{subject} was born on {value} .",
                   "{subject} came into this world on {value} .",
                   "{subject} celebrates a birthday on {value} .",
                   "{subject} has a birthday on {value} .",
                   "{subject} entered life on {value} ."],
    "birth_city": ["{subject} was born in {value} .",
                   "{subject} spent the early years in {value} .",
                   "{subject} grew up in {value} .",
                   "{subject} has roots in {value} .",
                   "{subject} came from {value} ."],
    "university": ["{subject} studied at {value} .",
                   "{subject} graduated from {value} .",
                   "{subject} received an education at {value} .",
                   "{subject} is an alumnus of {value} .",
                   "{subject} was a student at {value} ."],
    "major": ["{subject} majored in {value} .",
              "{subject} focused the studies on {value} .",
              "{subject} earned a degree in {value} .",
              "{subject} specialized in {value} .",
              "{subject} completed a course in {value} ."],
    "employer": ["{subject} worked for {value} .",
                 "{subject} was employed by {value} .",
                 "{subject} built a career at {value} .",
                 "{subject} got a position at {value} .",
                 "{subject} held a job at {value} ."],
}
QUESTIONS = {
    "birth_date": "Q : When was {name} born ? A : {value}",
    "birth_city": "Q : Where was {name} born ? A : {value}",
    "university": "Q : Which university did {name} attend ? A : {value}",
    "major": "Q : What did {name} study ? A : {value}",
    "employer": "Q : Which company did {name} work for ? A : {value}",
}
COLUMNS = ("name", "pronoun", *ATTRIBUTES, "split")
SHIPPED = ("people.tsv", "templates.json", "bios_single.txt", "bios_augmented.txt", "qa_train.txt", "qa_test.txt")


def make_people(n: int = N_PEOPLE, seed: int = SEED) -> list[dict[str, str]]:
    """n people with distinct names; the first half is the training split, the second the test split."""
    rng = random.Random(seed)
    names = [(first, last, "She") for first in FEMALE for last in LAST] + [
        (first, last, "He") for first in MALE for last in LAST]
    people = []
    for first, last, pronoun in rng.sample(names, n):
        person = {"name": f"{first} {last}", "pronoun": pronoun,
                  "birth_date": f"{rng.choice(MONTHS)} {rng.randint(1, 28)} , {rng.randint(1950, 1999)}"}
        person |= {attribute: rng.choice(pool) for attribute, pool in POOLS.items()}
        people.append(person | {"split": "train" if len(people) < n // 2 else "test"})
    return people


def notebook_make_biographies() -> Callable[..., list[str]]:
    """The master notebook's `make_biographies` (the exercise's reference solution, loaded from
    source/week10_knowledge/knowledge.ipynb): the corpora are exactly what the notebook's function
    writes, and this released file does not hand learners the exercise's answer."""
    root = Path(__file__).resolve().parents[2]
    source = root / "source" / "week10_knowledge"
    spec = importlib.util.spec_from_file_location("knowledge_pretrain", source / "pretrain.py")
    if spec is None or not (source / "knowledge.ipynb").is_file():
        raise SystemExit("build.py runs from the course repository (it needs source/week10_knowledge/knowledge.ipynb)")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.load_notebook(keep=frozenset())["make_biographies"]


def questions(people: list[dict[str, str]]) -> list[str]:
    """One question-answer line per person and attribute."""
    return [QUESTIONS[a].format(name=p["name"], value=p[a]) for p in people for a in ATTRIBUTES]


def lines(rows: list[str]) -> bytes:
    return ("\n".join(rows) + "\n").encode("ascii")


def build(out: Path) -> dict[str, str]:
    """Write the shipped files into `out`; returns {file name: sha256}."""
    people = make_people()
    make_biographies = notebook_make_biographies()
    generator = torch.Generator().manual_seed(BIO_SEED)
    single = make_biographies(people, TEMPLATES, 1, generator)
    augmented = make_biographies(people, TEMPLATES, AUGMENT, generator)
    files = {
        "people.tsv": lines(["\t".join(COLUMNS)] + ["\t".join(p[c] for c in COLUMNS) for p in people]),
        "templates.json": (json.dumps({"templates": TEMPLATES, "questions": QUESTIONS}, indent=1) + "\n").encode(),
        "bios_single.txt": lines(single),
        "bios_augmented.txt": lines(augmented),
        "qa_train.txt": lines(questions([p for p in people if p["split"] == "train"])),
        "qa_test.txt": lines(questions([p for p in people if p["split"] == "test"])),
    }
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (out / name).write_bytes(data)
    return {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
    sums = build(target)
    (target / "SHA256SUMS").write_text("".join(f"{digest}  {name}\n" for name, digest in sums.items()))
    for name, digest in sums.items():
        print(f"{digest}  {name}")
