"""How fast the official PDF prints, and whether memory stays flat: prints figures, asserts nothing.

    .venv/bin/python bench/pdf_bench.py [--forms 100] [--repeat 30]

Targets (on the 2-core machine): one seed form ≤ 0.15 s median in a warm process; a batch of
100 forms ≤ 7 s wall using both cores; memory that does not grow with the batch; the pre-subset fonts
give the same picture as the system fonts. Runs against a throwaway SQLite database in a temporary folder
(migrate + the nine seed forms, copied up to --forms forms), never the project's own database.
"""

import argparse
import copy
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import _common


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def setup(folder: Path, forms: int):
    _common.setup(folder)
    from projects import interchange

    document = _common.demo_document()
    seeds = document["assessments"]
    copies = []
    for i in range(max(0, forms - len(seeds))):
        form = copy.deepcopy(seeds[i % len(seeds)])
        form["project"] = f"{form['project']}（副本 {i + 1:03d}）"
        copies.append(form)
    if copies:
        interchange.import_document({**document, "assessments": copies})


def median_time(function, repeat: int) -> tuple[float, float]:
    function()
    function()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), max(times)


def compare_pictures(pdf_a: bytes, pdf_b: bytes, folder: Path) -> tuple[int, int]:
    """(pixels that differ, largest channel difference) of page 1 of two PDFs at 100 dpi."""
    from PIL import Image, ImageChops

    pictures = []
    for name, content in (("a", pdf_a), ("b", pdf_b)):
        source = folder / f"{name}.pdf"
        source.write_bytes(content)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile", source, folder / name], check=True
        )
        pictures.append(Image.open(folder / f"{name}.png").convert("L"))
    difference = ImageChops.difference(*pictures)
    histogram = difference.histogram()
    return sum(histogram[1:]), max((i for i, n in enumerate(histogram) if n), default=0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forms", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="perfeval-bench-") as name:
        folder = Path(name)
        setup(folder, max(args.forms * 2, 9))
        from django.db import connection

        from projects import official_sheet
        from projects.evaluation import rules_for_year
        from projects.models import SelfAssessment
        from projects.printing import batch, fonts, render

        print(
            f"CPUs: {os.cpu_count()} (workers: {batch.pdf_workers()}); HarfBuzz subsetter: "
            f"{'yes' if render.harfbuzz_subset_available() else 'NO (expect seconds per form)'}"
        )
        started = time.perf_counter()
        renderer = render.renderer()
        renderer.warm_up()
        print(f"renderer ready (fonts pre-subset: {sorted(renderer.fonts)}): {time.perf_counter() - started:.2f} s")

        seed = SelfAssessment.objects.get(project__name="综合党委经费", year=2022)
        median, worst = median_time(lambda: render.render_assessment(seed), args.repeat)
        print(
            f"single seed form, whole view service (queries + HTML + PDF): median {median * 1000:.0f} ms, "
            f"worst {worst * 1000:.0f} ms  [target ≤ 150 ms]"
        )
        form = official_sheet.forms_queryset(SelfAssessment.objects.filter(pk=seed.pk)).get()
        html = render.official_html([form], rules_for_year(2023))
        median, _worst = median_time(lambda: render.html_to_pdf(html), args.repeat)
        print(f"single seed form, WeasyPrint only: median {median * 1000:.0f} ms")
        single = render.html_to_pdf(html)
        print(f"single seed form: {len(single) / 1024:.0f} KiB")

        ids = list(SelfAssessment.objects.order_by("pk").values_list("pk", flat=True))
        chosen = ids[: args.forms]
        title = batch.batch_title(len(chosen), 2022, "bench")
        connection.close()
        for label in ("cold pool", "warm pool"):
            target = folder / "batch.pdf"
            started = time.perf_counter()
            pages = batch.render_batch(chosen, target, title=title)
            wall = time.perf_counter() - started
            print(
                f"batch of {len(chosen)} forms, {label}: {wall:.2f} s wall, {pages} pages, "
                f"{target.stat().st_size / 1024 / 1024:.1f} MiB  [target ≤ 7 s]"
            )
        started = time.perf_counter()
        batch.render_batch(chosen, folder / "batch1.pdf", title=title, workers=1)
        print(f"batch of {len(chosen)} forms, one process: {time.perf_counter() - started:.2f} s wall")

        pool = batch.worker_pool(batch.pdf_workers())
        workers = list(pool._processes)
        for size in (len(chosen) // 2, len(chosen), len(ids)):
            batch.render_batch(ids[:size], folder / "memory.pdf", title=title)
            rss = [rss_kib(pid) // 1024 for pid in workers]
            print(
                f"memory after a batch of {size:>3} forms: parent {rss_kib(os.getpid()) // 1024} MiB, "
                f"workers {rss} MiB (peak {[rss_kib(pid, 'VmHWM') // 1024 for pid in workers]} MiB)"
            )

        whole = render.Renderer.__new__(render.Renderer)
        fonts, fonts.subset_fonts = fonts.subset_fonts, dict  # the configured family as installed, no pre-subset
        try:
            whole.__init__()
        finally:
            fonts.subset_fonts = fonts
        differing, largest = compare_pictures(single, whole.write_pdf(html), folder)
        print(
            f"pre-subset fonts vs whole system fonts, page 1 at 100 dpi: {differing} pixels differ "
            f"(largest difference {largest}/255)"
        )
        median, _worst = median_time(lambda: whole.write_pdf(html), max(5, args.repeat // 3))
        print(f"single seed form with the whole system fonts: median {median * 1000:.0f} ms")
        batch.shutdown_pool()


if __name__ == "__main__":
    main()
