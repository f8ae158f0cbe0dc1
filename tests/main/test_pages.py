def test_home_explains_the_portal_to_visitors(client):
    page = client.get("/").get_data(as_text=True)
    assert "Family Bridge" in page
    assert "Create an account" in page


def test_every_page_carries_crisis_resources(client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert "988" in page
    assert "1-800-662-4357" in page
    assert "911" in page


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    health = response.get_json()
    assert {k: health[k] for k in ("status", "database")} == {"status": "ok", "database": "ok"}  # the contract
    assert health["mail_queue_oldest_seconds"] == 0


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert "base-uri 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


def test_unknown_page_is_404_html_and_json(client):
    assert client.get("/no-such-page").status_code == 404
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["error"] == 404


def test_dashboard_requires_login(client):
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_development_chat_accepts_both_loopback_origins_on_the_chosen_port(monkeypatch, tmp_path):
    """Regression: `PORT=8000 make run` served pages whose chat socket was refused (origin :5000)."""
    from portal import _allowed_origins, create_app
    from portal.config import DevelopmentConfig

    monkeypatch.setenv("PORT", "8123")
    app = create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/d.sqlite3")
    origins = _allowed_origins(app)
    assert "http://127.0.0.1:8123" in origins
    assert "http://localhost:8123" in origins
