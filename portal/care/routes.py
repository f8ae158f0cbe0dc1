"""HTTP routes for care: programs and clients here; consents and family pages in sibling modules."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.models import User, UserRole
from portal.care import access, bp, services
from portal.care.forms import ClientForm, EndEnrollmentForm, ProgramForm, SearchForm
from portal.care.invitations import invitations_for
from portal.care.models import Program, program_counselors
from portal.clock import utcnow
from portal.extensions import db
from portal.paging import page_number, paginate, require_page
from portal.security import Permission, Role, permission_required
from portal.templating import render_form

PAGE_SIZE = 50


def form_error(form, error):
    """Show a domain error next to its field (or above the form)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message] if isinstance(field.errors, list) else [error.message]
    else:
        flash(str(error.message), "error")


def all_counselors():
    return db.session.scalars(
        sa.select(User).join(UserRole).where(UserRole.role == Role.COUNSELOR).order_by(User.display_name)
    ).all()


def get_program_or_404(program_id):
    program = db.session.get(Program, program_id) if access.valid_id(program_id) else None
    if program is None:
        abort(404)
    return program


# --- programs (admins) ------------------------------------------------------------------------


@bp.get("/programs")
@permission_required(Permission.MANAGE_PROGRAMS)
def programs():
    rows = db.session.scalars(sa.select(Program).order_by(Program.name)).all()
    return render_template("care/programs.html", programs=rows)


@bp.route("/programs/new", methods=["GET", "POST"])
@bp.route("/programs/<int:program_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_PROGRAMS)
def edit_program(program_id=None):
    program = get_program_or_404(program_id) if program_id is not None else None
    counselors = all_counselors()
    form = ProgramForm(obj=program, counselors=counselors)
    if request.method == "GET":
        form.timezone.data = program.timezone if program else "America/New_York"
        form.counselor_ids.data = [u.id for u in program.counselors] if program else []
    if form.validate_on_submit():
        chosen = [u for u in counselors if u.id in set(form.counselor_ids.data)]
        try:
            services.save_program(
                program,
                actor=current_user,
                name=form.name.data,
                description=form.description.data or "",
                timezone=form.timezone.data,
                active=form.active.data,
                counselors=chosen,
            )
        except services.CareError as error:
            form_error(form, error)
        else:
            flash(_("The program is saved."), "success")
            return redirect(url_for("care.programs"))
    return render_form("care/program_form.html", form, program=program)


# --- clients (counselors of the program, admins) ----------------------------------------------


def programs_for(user):
    query = sa.select(Program).order_by(Program.name)
    if not user.has_role(Role.ADMIN):
        query = query.join(program_counselors).where(program_counselors.c.user_id == user.id)
    return db.session.scalars(query).all()


@bp.get("/clients")
@permission_required(Permission.MANAGE_CLIENTS)
def clients():
    form = SearchForm(request.args)
    text = form.q.data.strip() if form.validate() and form.q.data else None
    query = services.search_clients(access.clients_for_counselor(current_user), text)
    pagination = require_page(paginate(query, page=page_number(), per_page=PAGE_SIZE))
    return render_template("care/clients.html", pagination=pagination, form=form, searched=text)


@bp.route("/clients/new", methods=["GET", "POST"])
@bp.route("/clients/<int:client_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_CLIENTS)
def edit_client(client_id=None):
    client = access.get_client_or_404(client_id, current_user) if client_id is not None else None
    programs = programs_for(current_user)
    form = ClientForm(obj=client, programs=programs, counselors=all_counselors())
    if request.method == "GET" and client is None:
        form.primary_counselor_id.data = current_user.id if current_user.has_role(Role.COUNSELOR) else 0
    elif request.method == "GET":
        form.primary_counselor_id.data = client.primary_counselor_id or 0
    if form.validate_on_submit():
        program = next(p for p in programs if p.id == form.program_id.data)
        counselor = db.session.get(User, form.primary_counselor_id.data) if form.primary_counselor_id.data else None
        moved = client is not None and client.program_id != program.id
        try:
            client = services.save_client(
                client,
                actor=current_user,
                program=program,
                full_name=form.full_name.data,
                enrollment_start=form.enrollment_start.data,
                expected_end=form.expected_end.data,
                primary_counselor=counselor,
                record_number=form.record_number.data,
                confirm_transfer=form.confirm_transfer.data,
            )
        except services.CareError as error:
            form_error(form, error)
        else:
            flash(_("The client's details are saved."), "success")
            if moved:
                flash(_("Their family links have ended: record a new consent for each family member."), "info")
            return redirect(url_for("care.client", client_id=client.id))
    open_links = len(services.links_ending_on_transfer(client)) if client is not None else 0
    return render_form("care/client_form.html", form, client=client, has_programs=bool(programs), open_links=open_links)


@bp.get("/clients/<int:client_id>")
@permission_required(Permission.MANAGE_CLIENTS)
def client(client_id):
    client = access.get_client_or_404(client_id, current_user)
    consents = services.consents_for(client)
    invitations = invitations_for([c.id for c in consents])
    return render_template(
        "care/client.html",
        client=client,
        consents=consents,
        invitations=invitations,
        today=access.consent_today(),
        now=utcnow(),
    )


@bp.route("/clients/<int:client_id>/end", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_CLIENTS)
def end_enrollment(client_id):
    client = access.get_client_or_404(client_id, current_user)
    form = EndEnrollmentForm()
    if request.method == "GET":
        form.ended_on.data = access.consent_today()
    if client.is_enrolled and form.validate_on_submit():
        try:
            services.end_enrollment(client, actor=current_user, status=form.status.data, ended_on=form.ended_on.data)
        except services.CareError as error:
            form_error(form, error)
        else:
            flash(_("The enrollment has ended. Family links that depended on it have ended too."), "success")
            return redirect(url_for("care.client", client_id=client.id))
    return render_form("care/end_enrollment.html", form, client=client)


@bp.app_template_filter("care_date")
def care_date(value, format="long"):
    """A calendar date (no time zone) in the viewer's locale."""
    return format_date(value, format) if value else ""
