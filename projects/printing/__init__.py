"""The official form as a PDF (WeasyPrint): one form, or a whole year in the background.

What each cell prints is projects.official_sheet's; this package turns it into paper.

Rendering (speed and safety; bench/pdf_bench.py prints the figures):

- the stylesheets are parsed once per process and shared by every render together with one
  FontConfiguration; the document HTML links no stylesheet, so WeasyPrint fetches nothing per render;
  a small user-agent sheet of our own (static/pdf/ua.css) replaces WeasyPrint's full HTML5 one;
- fonts are subset by HarfBuzz (libharfbuzz-subset0; without it WeasyPrint falls back to fontTools, seconds
  per CJK form), from a copy of the configured face pre-subset once per machine to the characters of
  official texts (see subset_fonts); `render_pdf --check` reports both;
- the restricted fetcher (static_only_fetcher) reads nothing but our own static files and pre-subset fonts
  (no file:, no data:, no network), and all user text goes through Django's autoescape;
- the 草稿 / 未审核 mark and the footer are margin boxes fed by string-set, not running elements, which make
  WeasyPrint lay every page out twice;
- a batch renders chunks of forms in a process pool (both cores), each chunk a PDF on disk, merged with
  pypdf: WeasyPrint holds a whole document in memory, so the chunk size bounds the memory, not the batch.
"""
