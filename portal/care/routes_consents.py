"""Consent capture with the client present, revocation and invitations."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from portal.auth.sessions import reauth_required
from portal.care import access, bp, consent_text, invitations, services
from portal.care.forms import ButtonForm, ConsentForm, RevokeForm, SignConsentForm
from portal.care.models import Invitation
from portal.care.routes import form_error
from portal.extensions import db
from portal.security import Permission, permission_required
from portal.templating import render_form


def _terms(client, form):
    return services.consent_terms(
        client,
        recipient_name=form.recipient_name.data,
        recipient_relationship=form.recipient_relationship.data,
        recipient_email=form.recipient_email.data,
        includes_attendance=form.includes_attendance.data,
        purpose=form.purpose.data,
        expires_on=form.expiry_date(),
        today=access.consent_today(),
        language=form.language.data,
    )


def _check(client, form):
    """Domain checks of the details step; False (with the error placed) when refused."""
    try:
        services.check_new_consent(
            client,
            recipient_email=form.recipient_email.data,
            expires_on=form.expiry_date(),
            today=access.consent_today(),
        )
    except services.CareError as error:
        form_error(form, error)
        return False
    return True


def _review(client, form):
    """The review page, in the consent's language: the client reads it and signs on it."""
    terms = _terms(client, form)
    body = consent_text.render_body(terms)
    form.shown_sha256.data = consent_text.document_sha256(body, terms.language)
    with force_locale(terms.language):
        return render_form(
            "care/consent_review.html",
            form,
            client=client,
            body=body,
            version=consent_text.CURRENT_VERSION,
            language=terms.language,
        )


@bp.route("/clients/<int:client_id>/consents/new", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_CLIENTS)
@reauth_required()
def new_consent(client_id):
    client = access.get_client_or_404(client_id, current_user)
    if not client.is_enrolled:
        abort(404)
    form = ConsentForm()
    if form.validate_on_submit() and _check(client, form):
        return _review(client, SignConsentForm())
    return render_form("care/consent_form.html", form, client=client)


# Reading the consent takes the client a while: signing accepts a sign-in up to an hour old,
# since the details step already asked for a recent one.
@bp.post("/clients/<int:client_id>/consents/sign")
@permission_required(Permission.MANAGE_CLIENTS)
@reauth_required(max_age_seconds=3600)
def sign_consent(client_id):
    client = access.get_client_or_404(client_id, current_user)
    if not client.is_enrolled:
        abort(404)
    form = SignConsentForm()
    details = ConsentForm()
    if form.edit.data:
        return render_template("care/consent_form.html", client=client, form=ConsentForm(formdata=request.form))
    if not (details.validate_on_submit() and _check(client, details)):
        return render_form("care/consent_form.html", details, client=client)
    if not form.validate():
        return _review(client, form)
    try:
        consent = services.sign_consent(
            client,
            _terms(client, form),
            signature_name=form.signature_name.data,
            attested=form.attest.data,
            shown_sha256=form.shown_sha256.data,
            witness=current_user._get_current_object(),
        )
    except services.CareError as error:
        form_error(form, error)
        return _review(client, form)
    flash(_("The consent is signed. Offer the client a printed copy."), "success")
    return redirect(url_for("care.consent", consent_id=consent.id))


@bp.get("/consents/<int:consent_id>")
@permission_required(Permission.MANAGE_CLIENTS)
def consent(consent_id):
    consent = access.get_consent_or_404(consent_id, current_user)
    intact = (
        consent.signed_text is not None
        and consent_text.document_sha256(consent.signed_text, consent.language) == consent.text_sha256
    )
    status = consent.status(access.consent_today())
    with force_locale(consent.language):  # the client's copy, in the language they signed
        copy = render_template("care/_consent_copy.html", consent=consent, intact=intact, status=status)
    return render_template("care/consent_print.html", consent=consent, copy=Markup(copy))  # noqa: S704 (autoescaped template)


@bp.route("/consents/<int:consent_id>/revoke", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_CLIENTS)
@reauth_required()
def revoke_consent(consent_id):
    consent = access.get_consent_or_404(consent_id, current_user)
    if consent.revoked_at is not None:
        flash(_("This consent is already revoked."), "info")
        return redirect(url_for("care.client", client_id=consent.client_id))
    form = RevokeForm()
    if request.method == "GET":
        form.requested_on.data = access.consent_today()
        form.requested_by.data = consent.client.full_name
    if form.validate_on_submit():
        try:
            services.revoke_consent(
                consent,
                actor=current_user,
                requested_by=form.requested_by.data,
                requested_on=form.requested_on.data,
                method=form.method.data,
            )
        except services.CareError as error:
            form_error(form, error)
        else:
            flash(_("The consent is revoked. The family member can no longer see anything under it."), "success")
            return redirect(url_for("care.client", client_id=consent.client_id))
    return render_form("care/revoke.html", form, consent=consent)


def _invitation_link(token):
    return current_app.config["PORTAL_BASE_URL"].rstrip("/") + url_for("care.invitation", token=token)


@bp.post("/consents/<int:consent_id>/invite")
@permission_required(Permission.MANAGE_CLIENTS)
def invite(consent_id):
    consent = access.get_consent_or_404(consent_id, current_user)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        invitations.send_invitation(consent, actor=current_user, link_for=_invitation_link)
    except services.CareError as error:
        flash(str(error.message), "error")
    else:
        flash(
            _("The invitation is on its way to %(email)s. It works once, for 7 days.", email=consent.recipient_email),
            "success",
        )
    return redirect(url_for("care.client", client_id=consent.client_id))


@bp.post("/invitations/<int:invitation_id>/cancel")
@permission_required(Permission.MANAGE_CLIENTS)
def cancel_invitation(invitation_id):
    invitation = db.session.get(Invitation, invitation_id) if access.valid_id(invitation_id) else None
    if invitation is None:
        abort(404)
    access.get_client_or_404(invitation.consent.client_id, current_user)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        invitations.cancel_invitation(invitation, actor=current_user)
    except services.CareError as error:
        flash(str(error.message), "error")
    else:
        flash(_("The invitation is cancelled; its link no longer works."), "success")
    return redirect(url_for("care.client", client_id=invitation.consent.client_id))
