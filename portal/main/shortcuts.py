"""The addresses people guess (/login, /signin, /register…) lead to the real pages."""

from flask import redirect, render_template, request, url_for

from portal.main import bp

GUESSES = {
    "/login": "auth.login",
    "/signin": "auth.login",
    "/sign-in": "auth.login",
    "/register": "auth.signup",
    "/signup": "auth.signup",
    "/sign-up": "auth.signup",
    "/signout": "main.logout_page",
    "/sign-out": "main.logout_page",
}


def _guess(endpoint):
    def view():
        next_url = request.args.get("next") if endpoint == "auth.login" else None
        return redirect(url_for(endpoint, next=next_url) if next_url else url_for(endpoint))

    return view


for _path, _endpoint in GUESSES.items():
    bp.add_url_rule(_path, f"guess_{_path.strip('/').replace('-', '_')}", _guess(_endpoint), methods=["GET"])


@bp.get("/logout")
def logout_page():
    """Signing out is a POST (/auth/logout, GET there stays 405): a typed /logout shows the button."""
    return render_template("auth/logout.html")
