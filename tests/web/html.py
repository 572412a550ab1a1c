"""Reading rendered pages in tests: tables as rows of cell text, links, forms, a page's text."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"input", "br", "wbr", "img", "meta", "link", "hr", "source"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return " ".join("".join(parts).split())

    def iter(self, tag: str | None = None):  # type: ignore[no-untyped-def]
        for child in self.children:
            if isinstance(child, Node):
                if tag is None or child.tag == tag:
                    yield child
                yield from child.iter(tag)

    def find_all(self, tag: str, cls: str | None = None, **attrs: str) -> list[Node]:
        found = []
        for node in self.iter(tag):
            if cls is not None and cls not in node.attrs.get("class", "").split():
                continue
            if all(node.attrs.get(k) == v for k, v in attrs.items()):
                found.append(node)
        return found

    def find(self, tag: str, cls: str | None = None, **attrs: str) -> Node:
        found = self.find_all(tag, cls, **attrs)
        assert found, f"no <{tag} class={cls!r} {attrs}>"
        return found[0]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str | bytes) -> Node:
    builder = _Builder()
    builder.feed(html.decode() if isinstance(html, bytes) else html)
    return builder.root


def table_rows(html: str | bytes, cls: str) -> list[list[str]]:
    """The body rows of the first ``<table class=cls>``, each a list of cell texts."""
    table = parse(html).find("table", cls)
    return [[cell.text() for cell in row.children if isinstance(cell, Node)]
            for body in table.find_all("tbody") for row in body.find_all("tr")]  # fmt: skip


def links(html: str | bytes) -> list[str]:
    return [a.attrs["href"] for a in parse(html).iter("a") if "href" in a.attrs]


def forms(html: str | bytes) -> list[dict[str, str]]:
    """Every POST form as its action plus its field values."""
    out = []
    for form in parse(html).iter("form"):
        if form.attrs.get("method", "get").lower() != "post":
            continue
        fields = {i.attrs["name"]: i.attrs.get("value", "") for i in form.iter("input")}
        out.append({"_action": form.attrs.get("action", ""), **fields})
    return out


def text(html: str | bytes) -> str:
    return parse(html).find("main").text()


def button_posts(html: str | bytes) -> list[dict[str, str]]:
    """What each named submit button POSTs, as a browser sends it: its form's action and
    hidden fields (the form it sits in, or the one its ``form=`` attribute names) plus the
    button's own name and value."""
    root = parse(html)
    by_id = {f.attrs["id"]: f for f in root.iter("form") if "id" in f.attrs}
    out = []
    for form in root.iter("form"):
        for button in form.iter("button"):
            if "name" in button.attrs and "form" not in button.attrs:
                out.append((form, button))
    for button in root.iter("button"):
        if "name" in button.attrs and button.attrs.get("form") in by_id:
            out.append((by_id[button.attrs["form"]], button))
    posts = []
    for form, button in out:
        if form.attrs.get("method", "get").lower() != "post":
            continue
        fields = {
            i.attrs["name"]: i.attrs.get("value", "")
            for i in form.iter("input")
            if i.attrs.get("type") == "hidden"
        }
        fields[button.attrs["name"]] = button.attrs.get("value", "")
        posts.append({"_action": form.attrs.get("action", ""), **fields})
    return posts
