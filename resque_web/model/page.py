"""A page of rows cut from a Redis list, and the arithmetic of page numbers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")

MAX_PER_PAGE = 500


def clamp_per_page(per_page: int, default: int = 20) -> int:
    if per_page < 1:
        return default
    return min(per_page, MAX_PER_PAGE)


def page_count(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def clamp_page(number: int, per_page: int, total: int) -> int:
    """1 <= number <= last page, so an out-of-range ``?page=`` shows the nearest real page."""
    return min(max(1, number), page_count(total, per_page))


@dataclass(frozen=True)
class Paging:
    """Which page a view asks for: its number, its size and the order."""

    page: int = 1
    per_page: int = 20
    newest_first: bool = False


@dataclass
class Page(Generic[T]):
    """Rows ``items`` of page ``number``; ``indexes`` are their positions in the Redis list."""

    items: list[T]
    number: int
    per_page: int
    total: int
    newest_first: bool = False
    indexes: list[int] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page)

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    def rows(self) -> Iterator[tuple[int, T]]:
        return iter(zip(self.indexes, self.items))

    def window(self, radius: int = 2) -> list[int | None]:
        """Page numbers to link: first, last and ``radius`` around the current one, with
        None where numbers are skipped. A million jobs give a dozen links, not 50,000."""
        wanted = {1, self.pages, *range(self.number - radius, self.number + radius + 1)}
        numbers = sorted(n for n in wanted if 1 <= n <= self.pages)
        out: list[int | None] = []
        for n in numbers:
            if out and n - (out[-1] or 0) > 1:
                out.append(None)
            out.append(n)
        return out


def list_window(total: int, number: int, per_page: int, newest_first: bool) -> tuple[int, int]:
    """LRANGE bounds for a page; negative from the tail when newest first."""
    offset = (number - 1) * per_page
    if newest_first:
        return -(offset + per_page), -(offset + 1)
    return offset, offset + per_page - 1


def list_indexes(total: int, number: int, per_page: int, newest_first: bool, n: int) -> list[int]:
    """The list positions of the ``n`` rows read for a page, in display order."""
    offset = (number - 1) * per_page
    if newest_first:
        top = total - 1 - offset
        return [top - i for i in range(n)]
    return [offset + i for i in range(n)]
