"""Paged lists: the ?page= number, one page of a SELECT, page links (template: `macros.pager`).

A page number that is not a positive number (garbage, 0, -3) means the first page; a page past
the last one is a 404. Neither is ever a 500. Each page costs two statements (the rows and the
count), however many rows there are.
"""

from flask import abort, request, url_for

from portal.extensions import db

MAX_PAGE = 100_000


def page_number():
    """The requested page: 1 for anything that is not a whole number from 1 up; 404 past MAX_PAGE."""
    raw = request.args.get("page", "1").strip()
    if not (raw.isascii() and raw.isdigit()):
        return 1  # "abc", "-2", "1.5", "" …
    digits = raw.lstrip("0")
    if not digits:
        return 1  # "0"
    if len(digits) > len(str(MAX_PAGE)) or int(digits) > MAX_PAGE:
        abort(404)  # far past any last page (and no 20-digit OFFSET for the database)
    return int(digits)


def paginate(stmt, *, page, per_page):
    """One page of `stmt` (services call this with the view's page_number())."""
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def require_page(pagination):
    """404 for a page past the last one (page 1 of an empty list is fine); views call this."""
    if pagination.page > 1 and pagination.page > pagination.pages:
        abort(404)
    return pagination


def page_url(number):
    """This page's address with ?page=number, keeping every other query argument (search, filters)."""
    args = request.args.to_dict(flat=False)
    args.pop("page", None)
    if number > 1:
        args["page"] = [str(number)]
    return url_for(request.endpoint, **(request.view_args or {}), **args)
