"""Family-facing pages: accepting an invitation, "My family", leaving a link; dashboard panels."""

from datetime import timedelta

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from portal.care import access, bp, invitations, services
from portal.care.forms import ButtonForm
from portal.care.models import Client, Consent, FamilyLink, Invitation
from portal.clock import utcnow
from portal.errors import explain_denials
from portal.extensions import db, limiter
from portal.main.dashboard import register_panel
from portal.security import Permission, permission_required


def _invite_limit():
    return current_app.config.get("CARE_INVITE_LIMIT", "20 per 10 minutes")


def _neutral_not_found():
    """The one answer for unknown, used, expired and cancelled links: same body, same status."""
    return render_template("care/invite_invalid.html"), 404


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit(_invite_limit)
def invitation(token):
    found = invitations.redeemable(token)
    if found is None:
        return _neutral_not_found()
    if not current_user.is_authenticated:
        return render_template("care/invite_welcome.html", next_url=url_for("care.invitation", token=token))
    if not invitations.is_for(found, current_user):
        return render_template("care/invite_other_account.html")
    form = ButtonForm()
    if form.validate_on_submit():
        invitations.accept(found, user=current_user._get_current_object())
        flash(_("You are now linked. Here is what you can see."), "success")
        return redirect(url_for("care.my_family"))
    invitations.record_preview(found, current_user)
    db.session.commit()
    return render_template("care/invite_accept.html", consent=found.consent, form=form)


@bp.get("/my-family")
@permission_required(Permission.SEE_FAMILY)
def my_family():
    links = access.active_links(current_user)
    for link in links:
        access.record_disclosure(current_user, link, "my_family")
    waiting = invitations.waiting_for(current_user)
    for invitation in waiting:
        invitations.record_preview(invitation, current_user)
    db.session.commit()
    ended = access.ended_links(current_user)
    return render_template("care/my_family.html", links=links, waiting=waiting, ended=ended, form=ButtonForm())


@explain_denials
def consent_changed(code):
    """On a 403/404, a family member whose consent ended learns that something changed, calmly,
    without the page saying anything about the person they no longer see."""
    if not current_user.is_authenticated or not current_user.can(Permission.SEE_FAMILY):
        return None
    if not access.ended_links(current_user):
        return None
    return {
        "text": _(
            "What you can see in the portal has changed: a consent that let you see a family member's "
            "information has ended. Nothing you did caused this."
        ),
        "link": url_for("care.my_family"),
        "link_label": _("See what changed and whom to ask"),
    }


@bp.post("/invitations/<int:invitation_id>/accept")
@permission_required(Permission.SEE_FAMILY)
def accept_waiting(invitation_id):
    """Accept an invitation addressed to one's own confirmed email, without the emailed link."""
    found = next((i for i in invitations.waiting_for(current_user) if i.id == invitation_id), None)
    if found is None:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    invitations.accept(found, user=current_user._get_current_object())
    flash(_("You are now linked. Here is what you can see."), "success")
    return redirect(url_for("care.my_family"))


@bp.post("/links/<int:link_id>/leave")
@permission_required(Permission.SEE_FAMILY)
def leave_link(link_id):
    link = None
    if access.valid_id(link_id):
        link = db.session.scalar(sa.select(FamilyLink).filter_by(id=link_id, user_id=current_user.id, ended_at=None))
    if link is None:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    services.leave_link(link, user=current_user._get_current_object())
    flash(_("You have left this link. You no longer see anything about this person."), "success")
    return redirect(url_for("care.my_family"))


@register_panel
def family_panel(user):
    if not user.can(Permission.SEE_FAMILY):
        return None
    count = len(access.active_links(user))
    if count:
        text = ngettext(
            "You are linked to %(num)d person in treatment.", "You are linked to %(num)d people in treatment.", count
        )
    else:
        text = _(
            "You are not linked to anyone yet. A counselor sends you an invitation by email "
            "once your family member has agreed to it."
        )
    return {"title": _("My family"), "text": text, "links": [(_("Open My family"), url_for("care.my_family"))]}


@register_panel
def counselor_panel(user):
    if not user.can(Permission.MANAGE_CLIENTS):
        return None
    client_ids = (
        sa.select(Client.id)
        .where(Client.status == "active")
        .where(Client.id.in_(access.clients_for_counselor(user).with_only_columns(Client.id)))
    )
    active = db.session.scalar(sa.select(sa.func.count()).select_from(client_ids.subquery()))
    consents = db.session.scalar(
        sa.select(sa.func.count(Consent.id)).where(Consent.client_id.in_(client_ids), Consent.revoked_at.is_(None))
    )
    text = " ".join(
        [
            ngettext("%(num)d enrolled client,", "%(num)d enrolled clients,", active),
            ngettext("%(num)d consent not revoked.", "%(num)d consents not revoked.", consents),
        ]
    )
    links = [(_("Clients"), url_for("care.clients")), (_("Add a client"), url_for("care.edit_client"))]
    if user.can(Permission.MANAGE_PROGRAMS):
        links.append((_("Programs"), url_for("care.programs")))
    return {"title": _("Clients and consents"), "text": text, "links": links}


@register_panel
def counselor_attention_panel(user):
    """What needs a counselor first: families waiting for an invitation, consents ending soon."""
    if not user.can(Permission.MANAGE_CLIENTS):
        return None
    today = access.consent_today()
    managed = access.clients_for_counselor(user).with_only_columns(Client.id).where(Client.status == "active")
    consents = db.session.scalars(
        sa.select(Consent)
        .where(Consent.client_id.in_(managed), Consent.revoked_at.is_(None))
        .where(sa.or_(Consent.expires_on.is_(None), Consent.expires_on >= today))
        .order_by(Consent.expires_on.is_(None), Consent.expires_on, Consent.id)
    ).all()
    consents = [c for c in consents if c.is_valid(today)]
    if not consents:
        return None
    ids = [c.id for c in consents]
    linked = set(db.session.scalars(sa.select(FamilyLink.consent_id).where(FamilyLink.consent_id.in_(ids))))
    now = utcnow()
    invited = set(
        db.session.scalars(
            sa.select(Invitation.consent_id).where(
                Invitation.consent_id.in_(ids), Invitation.cancelled_at.is_(None), Invitation.expires_at > now
            )
        )
    )
    entries = []
    for consent in consents:
        url = url_for("care.client", client_id=consent.client_id)
        if consent.id not in linked and consent.id not in invited:
            entries.append(
                {
                    "label": _("%(name)s is waiting for an invitation", name=consent.recipient_name),
                    "url": url,
                    "details": [consent.client.full_name],
                }
            )
        if consent.expires_on and consent.expires_on <= today + timedelta(days=30):
            entries.append(
                {
                    "label": _(
                        "The consent for %(name)s ends on %(date)s",
                        name=consent.recipient_name,
                        date=format_date(consent.expires_on, "medium"),
                    ),
                    "url": url,
                    "details": [consent.client.full_name],
                }
            )
    if not entries:
        return None
    return {
        "title": _("Needs your attention"),
        "text": _("Families waiting for an invitation, and consents that end within 30 days."),
        "entries": entries[:12],
        "priority": 10,
    }
