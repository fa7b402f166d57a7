"""The demo's report folder: an ``index.html`` and an ``index.md`` built from the same sections
(a heading, lines of text, a table of key numbers, PNG figures), linking files in the folder."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Section", "write_index"]


@dataclass
class Section:
    title: str
    text: list = field(default_factory=list)  # paragraphs (plain text)
    numbers: list = field(default_factory=list)  # (label, value) rows
    figures: list = field(default_factory=list)  # (file name in the folder, caption)


_CSS = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
        "img{max-width:100%;border:1px solid #ddd}table{border-collapse:collapse;margin:.5em 0}"
        "td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}figure{margin:1em 0}"
        "figcaption{color:#555;font-size:90%}.fail{color:#b00;font-weight:bold}")



def _cell(value) -> str:
    """A markdown table cell: a literal ``|`` (as in ``|a - b|``) would end the cell."""
    return str(value).replace("|", "\\|")

def write_index(folder, title: str, intro: list, sections: list) -> list:
    """Writes ``index.html`` and ``index.md`` into ``folder``; returns their paths."""
    folder = Path(folder)
    h = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
         f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>"]
    h += [f"<p>{html.escape(p)}</p>" for p in intro]
    h.append("<ul>" + "".join(f"<li><a href='#s{i}'>{html.escape(s.title)}</a></li>" for i, s in enumerate(sections)) + "</ul>")
    md = [f"# {title}", ""] + [p + "\n" for p in intro]
    for i, s in enumerate(sections):
        h.append(f"<h2 id='s{i}'>{html.escape(s.title)}</h2>")
        md += [f"## {s.title}", ""]
        for p in s.text:
            h.append(f"<p>{html.escape(p)}</p>")
            md += [p, ""]
        if s.numbers:
            h.append("<table>" + "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                                         for k, v in s.numbers) + "</table>")
            md += ["| | |", "| --- | --- |"] + [f"| {_cell(k)} | {_cell(v)} |" for k, v in s.numbers] + [""]
        for name, caption in s.figures:
            src = html.escape(name, quote=True)
            h.append(f"<figure><a href='{src}'><img src='{src}' alt='{html.escape(caption, quote=True)}'></a>"
                     f"<figcaption>{html.escape(caption)}</figcaption></figure>")
            md += [f"![{caption}]({name})", "", f"*{caption}*", ""]
    h.append("</body></html>")
    paths = [folder / "index.html", folder / "index.md"]
    paths[0].write_text("\n".join(h) + "\n", encoding="utf-8")
    paths[1].write_text("\n".join(md) + "\n", encoding="utf-8")
    return paths
