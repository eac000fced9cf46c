"""Lists that grow: one page of them with the filters its links keep, and the way back to a
list from a download whose filters the list's form refuses."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse

PAGE_SIZE = 25
"""Rows a page of a list shows."""


def page_of(request: HttpRequest, items: object, size: int = PAGE_SIZE) -> tuple[Page, QueryDict]:
    """The page of `items` asked for (`?page=`: a wrong one gives the nearest page), and the
    query without the page, which the pagination's links keep."""
    page = Paginator(items, size).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query


def back_to_list(request: HttpRequest, list_name: str, **fixed: str) -> HttpResponse:
    """Back to the list with the same filters (and `fixed`), where the errors show at their
    fields: a download never runs on a filter that is not right."""
    query = request.GET.copy()
    for name in ("format", "page"):
        query.pop(name, None)
    for name, value in fixed.items():
        query[name] = value
    return redirect(f"{reverse(list_name)}?{query.urlencode()}")
