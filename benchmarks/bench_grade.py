"""Grading a class: 200 submissions × 10 questions from the course notes, mixed right and wrong.

    python benchmarks/bench_grade.py                      # 200 students, the default --jobs
    python benchmarks/bench_grade.py --students 500 --jobs 1

The class is drawn as the example class is (``examples/grading/make_submissions.py``: right
answers in several forms and the typical slips, each written to show one diagnosis kind), and each
answer's spacing varies as people type (``A.T@(y - A@x)``), so answers that mean the same are not
all the same text. The whole run is timed as ``gradcheck grade`` does it — key loaded, files
read, each question's truth derived once, each distinct answer judged once in worker processes —
and every mark is checked against what its answer was written to be. Target: ≤ 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import tempfile
import time
from pathlib import Path
from types import ModuleType

from gradcheck_cli.grade import Settings, grade_paths

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "grading"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_submissions", EXAMPLE / "make_submissions.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def respaced(text: str, draw: random.Random) -> str:
    """``text`` as someone in a hurry types it: the spaces around ``@`` or ``-`` dropped, or not."""
    for operator in (" @ ", " - "):
        if draw.random() < 0.3:
            text = text.replace(operator, operator.strip())
    return text


def write_class(folder: Path, students: int, seed: int) -> dict[str, dict[str, tuple[str, str]]]:
    """``students`` YAML submissions in ``folder``; returns each answer and what it was written to be."""
    answers_of = _generator().ANSWERS
    draw = random.Random(seed)
    plan: dict[str, dict[str, tuple[str, str]]] = {}
    for number in range(1, students + 1):
        student = f"student{number:04d}"
        plan[student] = {}
        for qid, (right, slips) in answers_of.items():
            text, kind = (draw.choice(right), "right") if draw.random() < 0.6 else draw.choice(slips)
            plan[student][qid] = (respaced(text, draw), kind)
        lines = [f"student: {student}", "answers:", *(f'  {q}: "{t}"' for q, (t, _) in plan[student].items())]
        (folder / f"{student}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        plan = write_class(Path(tmp), args.students, args.seed)
        start = time.perf_counter()
        book = grade_paths(EXAMPLE / "key.yaml", [Path(tmp)], Settings(jobs=args.jobs))
        elapsed = time.perf_counter() - start
    answers = sum(len(a) for a in plan.values())
    distinct = len({(q, t) for a in plan.values() for q, (t, _) in a.items()})
    wrong = [(g.student, m.question, m.status, m.kind) for g in book.grades for m in g.marks
             if ("right" if m.status == "correct" else m.kind) != plan[g.student][m.question][1]]
    print(f"{len(book.grades)} submissions × {len(book.key.items)} questions = {answers} answers, "
          f"{distinct} distinct (judged once each), --jobs {args.jobs}")
    print(f"graded in {elapsed:.1f} s ({1000 * elapsed / answers:.1f} ms per answer); "
          f"marks as written: {answers - len(wrong)}/{answers}")
    for miss in wrong[:10]:
        print("  not as written:", *miss)


if __name__ == "__main__":
    main()
