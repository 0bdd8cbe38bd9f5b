"""``index.html``: one static page, relative links only, so the folder opens anywhere after scp.

The page is described as plain data (sections of blocks: tables, figures, logo grids,
preformatted text, collapsible details) and rendered here with escaping; no template engine
and nothing fetched from the network. Every data table carries ``data-rows`` (its number of
body rows), and a small inline script checks on load that every image decoded
(``naturalWidth > 0``) and every table has its rows, and writes the result into
``#selfcheck`` (what the headless-browser test reads).
"""

from __future__ import annotations

import html
import math

import pandas as pd

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:0;color:#222}
header{background:#1f3b57;color:#fff;padding:14px 28px}header h1{margin:0;font-size:1.5em}
header p{margin:4px 0 0;opacity:.85}nav{padding:8px 28px;background:#eef2f6;font-size:.9em}
nav a{margin-right:14px}main{padding:4px 28px 40px;max-width:1500px}
h2{border-bottom:2px solid #1f3b57;padding-bottom:3px;margin-top:34px}h3{margin-top:22px}
table.data{border-collapse:collapse;font-size:.85em;margin:8px 0}
table.data th,table.data td{border:1px solid #ccc;padding:3px 8px;text-align:right}
table.data th{background:#eef2f6}table.data td.t{text-align:left;white-space:nowrap}
table.data tr.ok td{background:#eaf7ea}table.data tr.bad td{background:#fbeaea}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0}
.card{border:1px solid #ccd;border-radius:6px;padding:8px 14px;min-width:110px}
.card b{display:block;font-size:1.4em}figure{margin:18px 28px 18px 0;display:inline-table;vertical-align:top}
figure img{max-width:100%;border:1px solid #ddd}
figcaption{font-size:.88em;color:#444;display:table-caption;caption-side:bottom}.logos{display:flex;flex-wrap:wrap;gap:16px}
.logos figure{width:560px;margin:4px 0;display:block}.logos figcaption{display:block}pre{background:#f6f8fa;padding:8px;overflow:auto;font-size:.8em}
.links{font-size:.85em}.note{color:#555;font-size:.9em}#selfcheck{font-size:.8em;color:#555}
"""

_SCRIPT = """
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var broken = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); });
  var tables = Array.prototype.slice.call(document.querySelectorAll('table.data'));
  var short = tables.filter(function (t) {
    return t.tBodies.length && t.tBodies[0].rows.length !== parseInt(t.dataset.rows, 10);
  });
  var el = document.getElementById('selfcheck');
  el.dataset.images = imgs.length; el.dataset.imagesOk = imgs.length - broken.length;
  el.dataset.tables = tables.length; el.dataset.tablesOk = tables.length - short.length;
  el.dataset.broken = broken.map(function (i) { return i.getAttribute('src'); }).join(' ');
  el.dataset.done = 'yes';
  el.textContent = 'page check: ' + (imgs.length - broken.length) + '/' + imgs.length +
    ' images loaded, ' + (tables.length - short.length) + '/' + tables.length + ' tables complete';
});
"""


def render_index(page: dict) -> str:
    """The HTML text of a report page.

    Parameters
    ----------
    page : dict
        ``title``, ``subtitle``, ``cards`` (list of (label, value)), ``sections``: list of
        ``{"id", "heading", "blocks"}``; a block is a dict with ``kind``:

        - ``table``: ``frame`` (DataFrame), optional ``caption``, ``links`` [(label, href)],
          ``status`` (column of booleans that colours rows green/red);
        - ``figure``: ``png``, ``pdf``, ``title``, ``caption``;
        - ``logos``: ``items`` [(png href, caption)];
        - ``text`` (escaped paragraph), ``pre`` (preformatted), ``heading`` (h3);
        - ``links``: ``text`` and ``items`` [(label, href)];
        - ``details``: ``summary`` and nested ``blocks`` (collapsed).
    """
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(page['title'])}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{_e(page['title'])}</h1><p>{_e(page.get('subtitle', ''))}</p></header>",
        "<nav>"
        + "".join(f'<a href="#{_e(s["id"])}">{_e(s["heading"])}</a>' for s in page["sections"])
        + "</nav><main>",
    ]
    if page.get("cards"):
        parts.append(
            '<div class="cards">'
            + "".join(f'<div class="card"><b>{_e(v)}</b>{_e(k)}</div>' for k, v in page["cards"])
            + "</div>"
        )
    for section in page["sections"]:
        parts.append(f'<section id="{_e(section["id"])}"><h2>{_e(section["heading"])}</h2>')
        parts.extend(_block(b) for b in section["blocks"])
        parts.append("</section>")
    parts.append('<p id="selfcheck" data-done="no">page check: not run (JavaScript off)</p>')
    parts.append(f"</main><script>{_SCRIPT}</script></body></html>")
    return "\n".join(parts) + "\n"


def _block(block: dict) -> str:
    kind = block["kind"]
    if kind == "table":
        return _table(block)
    if kind == "figure":
        links = f' <span class="links">(<a href="{_e(block["pdf"])}">PDF</a>)</span>'
        return (
            f'<figure><a href="{_e(block["png"])}"><img src="{_e(block["png"])}" alt="{_e(block["title"])}"></a>'
            f"<figcaption><b>{_e(block['title'])}.</b> {_e(block['caption'])}{links}"
            "</figcaption></figure>"
        )
    if kind == "logos":
        items = "".join(
            f'<figure><a href="{_e(src)}"><img src="{_e(src)}" alt="{_e(cap)}"></a>'
            f"<figcaption>{_e(cap)}</figcaption></figure>"
            for src, cap in block["items"]
        )
        return f'<div class="logos">{items}</div>'
    if kind == "links":
        items = " ".join(f'<a href="{_e(href)}">{_e(label)}</a>' for label, href in block["items"])
        return f'<p class="links">{_e(block.get("text", ""))} {items}</p>'
    if kind == "text":
        return f'<p class="note">{_e(block["text"])}</p>'
    if kind == "pre":
        return f"<pre>{_e(block['text'])}</pre>"
    if kind == "heading":
        return f"<h3>{_e(block['text'])}</h3>"
    if kind == "details":
        inner = "".join(_block(b) for b in block["blocks"])
        return f"<details><summary>{_e(block['summary'])}</summary>{inner}</details>"
    raise ValueError(f"unknown block kind {kind!r}")


def _table(block: dict) -> str:
    frame: pd.DataFrame = block["frame"]
    status = block.get("status")
    out = []
    if block.get("caption") or block.get("links"):
        links = " ".join(
            f'<a href="{_e(href)}">{_e(label)}</a>' for label, href in block.get("links", [])
        )
        out.append(f'<p class="links">{_e(block.get("caption", ""))} {links}</p>')
    out.append(
        f'<table class="data" data-rows="{len(frame)}"><thead><tr>'
        + "".join(f"<th>{_e(c)}</th>" for c in frame.columns)
        + "</tr></thead><tbody>"
    )
    for i, row in enumerate(frame.itertuples(index=False)):
        css = ""
        if status is not None:
            flag = frame[status].iloc[i]
            css = ' class="ok"' if flag is True else (' class="bad"' if flag is False else "")
        cells = "".join(_cell(v) for v in row)
        out.append(f"<tr{css}>{cells}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _cell(value) -> str:
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalars -> Python
    if isinstance(value, bool):
        return f'<td class="t">{"yes" if value else "no"}</td>'
    if isinstance(value, float):
        if math.isnan(value):
            return "<td></td>"
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e6):
            return f"<td>{value:.2e}</td>"
        return f"<td>{value:.3f}</td>"
    if isinstance(value, int):
        return f"<td>{value}</td>"
    if value is None or value is pd.NA:
        return "<td></td>"
    return f'<td class="t">{_e(value)}</td>'


def _e(value) -> str:
    return html.escape(str(value), quote=True)
