"""A counselor assigns lessons, modules or worksheets to a client's family; "From your counselor"."""

from flask import abort, flash, redirect, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from portal.lessons import assignments, bp, sharing
from portal.lessons.forms import ActionForm, AssignForm
from portal.main.dashboard import register_panel
from portal.security import Permission, permission_required
from portal.templating import render_form

ERRORS = {
    "not_linked": lambda: _("Choose family members who are linked to this client now."),
    "unknown_target": lambda: _("Choose lessons, modules or worksheets from the list."),
    "due_in_past": lambda: _("Choose a due date between today and one year from now."),
}


def _managed_client_or_404(client_id):
    client = sharing.client_for_counselor(current_user, client_id)
    if client is None:
        abort(404)
    return client


@bp.route("/clients/<int:client_id>/assign", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_CLIENTS)
def assign(client_id):
    client = _managed_client_or_404(client_id)
    family = assignments.for_counselor(client)
    form = AssignForm()
    form.members.choices = [SelectChoice(member.id, member.display_name) for member, _shares, _items in family]
    if form.validate_on_submit():
        try:
            assignments.assign(
                current_user, client, form.members.data, form.items.data, form.note.data, form.due_on.data
            )
        except assignments.AssignmentError as error:
            field = form.members if error.code == "not_linked" else form.items
            field.errors = [*field.errors, ERRORS.get(error.code, ERRORS["unknown_target"])()]
        else:
            flash(_("Assigned. The family members you chose see it on their dashboard."), "success")
            return redirect(url_for("lessons.assign", client_id=client.id))
    return render_form("lessons/assign.html", form, client=client, family=family, withdraw_form=ActionForm())


@bp.post("/clients/<int:client_id>/assignments/<int:assignment_id>/withdraw")
@permission_required(Permission.MANAGE_CLIENTS)
def withdraw_assignment(client_id, assignment_id):
    client = _managed_client_or_404(client_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        assignments.withdraw(current_user, client, assignment_id)
    except assignments.AssignmentError:
        abort(404)
    flash(_("The assignment is withdrawn."), "success")
    return redirect(url_for("lessons.assign", client_id=client.id))


@register_panel
def from_your_counselor_panel(user):
    """A family member's assignments first on the dashboard: what needs attention."""
    if not user.can(Permission.LEARN) or user.is_staff:
        return None
    items = assignments.for_family_member(user)
    if not items:
        return None
    rows = []
    titles = assignments.titles_for(user, [item.pick for item in items])
    for item, label in zip(items, titles, strict=True):
        if item.pick.kind == "module":
            label = _("%(title)s (the whole module)", title=label)
        details = []
        if item.done:
            details.append(_("Done"))
        elif item.assignment.due_on:
            details.append(_("Due %(date)s", date=format_day(item.assignment.due_on)))
        note = item.assignment.note or None  # plain text (portal.sanitize.plain_text), escaped by the template
        rows.append({"label": label, "url": item.pick.url, "details": details, "done": item.done, "note": note})
    open_count = sum(1 for item in items if not item.done)
    return {
        "title": _("From your counselor"),
        "text": _("Your counselor suggested these for you.")
        if open_count
        else _("You have done everything your counselor suggested. Well done."),
        "entries": rows,
        "priority": 10,
        "id": "from-your-counselor",
    }


def format_day(day):
    return format_date(day, "medium")
