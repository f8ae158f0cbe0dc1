"""The counselor's client list comes in pages of 50, keeps the search in the page links, and
costs the same number of SQL statements whatever the number of clients."""

import re
from datetime import date

import pytest

from portal.care.models import Client
from portal.extensions import db
from portal.security import Role
from tests.factories import make_program, make_user
from tests.statements import counting

ROW = re.compile(r'<td><a href="/care/clients/(\d+)">')


def add_clients(program, count, name="Client", start=0):
    db.session.add_all(
        Client(program=program, full_name=f"{name} {i:03d}", enrollment_start=date(2026, 1, 5))
        for i in range(start, start + count)
    )
    db.session.commit()


@pytest.fixture
def hundred_twenty(program):
    """120 clients in Casey's program, and 7 in a program Casey does not work in."""
    add_clients(program, 120)
    elsewhere = make_program(name="Morning IOP", counselors=[make_user(roles=(Role.COUNSELOR,))])
    add_clients(elsewhere, 7, name="Elsewhere")
    return program


def ids(html):
    return [int(i) for i in ROW.findall(html)]


def link(html, rel):
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_pages_of_fifty_with_next_and_previous_links(client, auth, counselor, hundred_twenty):
    auth.login(counselor.email)
    first = client.get("/care/clients").get_data(as_text=True)
    assert len(ids(first)) == 50
    assert "120 clients." in first and "Page 1 of 3" in first
    assert '<nav class="pagination" aria-label="Pages of clients">' in first
    assert re.search(r'<a href="/care/clients" aria-current="page">.*?1</a>', first)
    assert link(first, "prev") is None and link(first, "next") == "/care/clients?page=2"
    second = client.get(link(first, "next")).get_data(as_text=True)
    assert len(ids(second)) == 50 and re.search(r'href="/care/clients\?page=2" aria-current="page"', second)
    assert link(second, "prev") == "/care/clients" and link(second, "next") == "/care/clients?page=3"
    third = client.get("/care/clients?page=3").get_data(as_text=True)
    assert len(ids(third)) == 20 and link(third, "next") is None
    every = ids(first) + ids(second) + ids(third)
    assert len(set(every)) == 120  # each client exactly once, in name order
    names = [db.session.get(Client, i).full_name for i in every]
    assert names == sorted(names) and not any(n.startswith("Elsewhere") for n in names)


def test_the_search_is_kept_in_page_links(client, auth, counselor, hundred_twenty):
    add_clients(hundred_twenty, 60, name="River")
    auth.login(counselor.email)
    first = client.get("/care/clients", query_string={"q": "river"}).get_data(as_text=True)
    assert len(ids(first)) == 50 and "60 clients match." in first
    assert link(first, "next") == "/care/clients?q=river&page=2"
    second = client.get(link(first, "next")).get_data(as_text=True)
    assert len(ids(second)) == 10
    assert all(db.session.get(Client, i).full_name.startswith("River") for i in ids(second))
    assert link(second, "prev") == "/care/clients?q=river"


def test_a_short_list_has_no_page_links(client, auth, counselor, sam):
    auth.login(counselor.email)
    page = client.get("/care/clients").get_data(as_text=True)
    assert ids(page) == [sam.id] and 'class="pagination"' not in page


@pytest.mark.parametrize("garbage", ["abc", "-1", "0", "", "1.5", "２", "1e3", " ", "0x2", "%00"])
def test_garbage_page_numbers_show_the_first_page(client, auth, counselor, hundred_twenty, garbage):
    auth.login(counselor.email)
    first = ids(client.get("/care/clients").get_data(as_text=True))
    response = client.get("/care/clients", query_string={"page": garbage})
    assert response.status_code == 200
    assert ids(response.get_data(as_text=True)) == first


@pytest.mark.parametrize("page", ["4", "100000", "100001", "99999999999999999999", "9" * 5000])
def test_pages_past_the_last_are_not_found(client, auth, counselor, hundred_twenty, page):
    auth.login(counselor.email)
    assert client.get("/care/clients", query_string={"page": page}).status_code == 404


def test_an_empty_list_is_one_page(client, auth, counselor, program):
    auth.login(counselor.email)
    assert client.get("/care/clients?page=1").status_code == 200
    assert client.get("/care/clients?page=2").status_code == 404


def test_admin_pages_through_every_program(client, auth, admin, hundred_twenty):
    auth.login(admin.email)
    third = client.get("/care/clients?page=3").get_data(as_text=True)
    assert "127 clients." in third and len(ids(third)) == 27


def test_statements_per_page_do_not_grow_with_the_number_of_clients(client, auth, counselor, program):
    auth.login(counselor.email)
    add_clients(program, 60)
    with counting(expire=True) as small_first:
        assert client.get("/care/clients").status_code == 200
    with counting(expire=True) as small_second:
        assert client.get("/care/clients?page=2").status_code == 200
    add_clients(program, 240, start=60)
    with counting(expire=True) as large_first:
        assert client.get("/care/clients").status_code == 200
    with counting(expire=True) as large_fourth:
        assert len(ids(client.get("/care/clients?page=4").get_data(as_text=True))) == 50
    assert len(small_first) == len(large_first) == len(small_second) == len(large_fourth)
