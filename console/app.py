"""The centre's web console (合管中心管理台): a Flask application of server-rendered
pages (Jinja2 templates, htmx for the few places where a page part reloads alone).

It owns no business data: every page is made of gRPC calls to the services, made as
the person signed in, and every action is decided by the service it reaches (the page
hides what a role may not do, but the service is the gate). See docs/console.md.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

import grpc
from flask import Flask, Response, flash, g, redirect, render_template, request, url_for
from markupsafe import Markup

from runtime.errors import ContractError, ServiceUnavailable, Status
from runtime.rpc_errors import from_rpc_error
from runtime.settings import Settings

from . import i18n
from .backends import Backends
from .security import (
    CSRF_FIELD,
    LANGUAGE_COOKIE,
    PRESESSION_COOKIE,
    SESSION_COOKIE,
    Csrf,
    People,
    Person,
    client_ip,
    cookie_name,
    new_presession,
    secure_headers,
)

log = logging.getLogger(__name__)

# Pages anyone may open (the rest need a session).
PUBLIC = frozenset({"auth.sign_in", "static", "healthz", "language"})
# Pages a person who must change the password may open.
PASSWORD_PAGES = frozenset({"auth.password", "auth.sign_out"})


class Console:
    """What every request of one process shares."""

    def __init__(self, settings: Settings, backends: Backends) -> None:
        self.settings = settings
        self.backends = backends
        self.people = People()
        self.csrf = Csrf(settings.secret("console_secret_key"))
        secure = settings.console_secure_cookies
        self.secure = settings.production if secure is None else secure
        self.session_cookie = cookie_name(SESSION_COOKIE, self.secure)
        self.presession_cookie = cookie_name(PRESESSION_COOKIE, self.secure)


def console() -> Console:
    from flask import current_app

    return current_app.extensions["ncms_console"]


def person() -> Person:
    return g.person


def requires(*roles: str) -> Callable:
    """A page for these roles only (the services check again, for every call)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def checked(*args, **kwargs):
            if not g.person.has(*roles):
                return forbidden()
            return view(*args, **kwargs)

        checked.roles = roles
        return checked

    return decorate


def forbidden() -> tuple[str, int]:
    return render_template("error.html", title=g._("Not allowed"), message=g._(
        "Your role does not allow this page or action. Ask the centre's administrator if you need it.")), 403


def refusal(error: grpc.RpcError) -> tuple[str, int]:
    """A service's refusal in words, and the HTTP status that goes with it."""
    found = from_rpc_error(error)
    if isinstance(found, ServiceUnavailable):
        return g._("A service did not answer; nothing was changed. Try again in a moment."), 503
    if found.status is Status.PERMISSION_DENIED and not isinstance(found, ContractError):
        return g._("Your role does not allow this action; nothing was changed."), 403
    status = {Status.NOT_FOUND: 404, Status.UNAUTHENTICATED: 401, Status.PERMISSION_DENIED: 403}.get(found.status, 400)
    return found.text, status


def act(call: Callable[[], object], done: str, back: str):
    """Run one action; say what happened (or why not) on the page it came from."""
    try:
        result = call()
    except grpc.RpcError as error:
        message, _status = refusal(error)
        flash(message, "error")
        return redirect(back), None
    if done:
        flash(done, "success")
    return redirect(back), result


def refused_back(error: grpc.RpcError, back: str):
    """A refused action: its reason on the page it came from."""
    flash(refusal(error)[0], "error")
    return redirect(back)


def safe_next(target: str | None) -> str:
    """Only a path of this console (never another site) to go back to."""
    if not target:
        return url_for("dashboard.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("dashboard.index")
    return target


def create_app(settings: Settings, backends: Backends | None = None) -> Flask:
    app = Flask("console", template_folder="templates", static_folder="static", root_path=__file__.rsplit("/", 1)[0])
    shared = Console(settings, backends or Backends(settings))
    app.extensions["ncms_console"] = shared
    app.config.update(
        SECRET_KEY=settings.secret("console_secret_key"), SESSION_COOKIE_NAME=cookie_name("ncms_console_flash",
                                                                                          shared.secure),
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=shared.secure,
        MAX_CONTENT_LENGTH=1024 * 1024, TEMPLATES_AUTO_RELOAD=False)
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.autoescape = True  # every template: what a service says is text, never markup
    app.jinja_env.install_gettext_callables(
        lambda text: g.catalogue.gettext(text), lambda s, p, n: g.catalogue.ngettext(s, p, n), newstyle=True)
    from . import templating

    templating.install(app)

    @app.before_request
    def begin() -> Response | None:
        g.started = time.monotonic()
        language = request.cookies.get(LANGUAGE_COOKIE, i18n.CHINESE)
        g.language = language if language in i18n.LANGUAGES else i18n.CHINESE
        g.catalogue = i18n.catalogue(g.language)
        g._ = g.catalogue.gettext
        g.person = None
        g.token = ""
        g.client_ip = client_ip(request, settings.console_trusted_proxies)
        if request.endpoint in PUBLIC:
            return check_csrf_before_sign_in() if request.endpoint == "auth.sign_in" else None
        session = request.cookies.get(shared.session_cookie, "")
        found = identify(session) if session else None
        if found is None:
            return to_sign_in()
        g.person, g.session = found, session
        g.token = found.token
        if request.method == "POST" and not shared.csrf.valid(session, request.form.get(CSRF_FIELD, "")):
            return stale_form()
        if request.method == "POST" and not same_origin():
            return stale_form()
        if found.must_change_password and request.endpoint not in PASSWORD_PAGES:
            return redirect(url_for("auth.password"))
        return None

    def identify(session: str) -> Person | None:
        """The person behind the session, renewed from identity when due; None: ended."""
        known = shared.people.get(session)
        if known is not None and not known.due():
            return known
        from ncms.identity.v1 import staff_pb2

        try:
            renewed = shared.backends.console.RefreshSession(staff_pb2.RefreshSessionRequest(session=session))
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.UNAUTHENTICATED:
                shared.people.forget(session)
                return None
            raise
        found = person_from(renewed.staff, renewed.token, renewed.token_expire_time, renewed.must_change_password)
        shared.people.put(session, found)
        return found

    def to_sign_in() -> Response:
        if request.method == "GET" and not request.headers.get("HX-Request"):
            response = redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
        else:
            response = redirect(url_for("auth.sign_in"))
            response.status_code = 303
        response.delete_cookie(shared.session_cookie, path="/")
        return response

    def stale_form() -> tuple[str, int]:
        return render_template("error.html", title=g._("Form expired"), message=g._(
            "This form is no longer valid (it was sent from another page, or your session changed). Open the page "
            "again and repeat the action; nothing was changed.")), 403

    def same_origin() -> bool:
        origin = request.headers.get("Origin")
        if not origin or origin == "null":
            return origin is None
        return urlsplit(origin).netloc == request.host

    def check_csrf_before_sign_in() -> tuple[str, int] | None:
        g.presession = request.cookies.get(shared.presession_cookie) or new_presession()
        if request.method == "POST" and (not shared.csrf.valid(request.cookies.get(shared.presession_cookie, ""),
                                                                request.form.get(CSRF_FIELD, "")) or not same_origin()):
            return stale_form()
        return None

    @app.after_request
    def finish(response: Response) -> Response:
        presession = getattr(g, "presession", None)
        if presession and request.cookies.get(shared.presession_cookie) != presession:
            response.set_cookie(shared.presession_cookie, presession, httponly=True, samesite="Lax",
                                secure=shared.secure, path="/")
        if hasattr(g, "started") and request.endpoint != "static":
            response.headers["Server-Timing"] = f"app;dur={(time.monotonic() - g.started) * 1000:.1f}"
        return secure_headers(response, secure=shared.secure)

    @app.errorhandler(grpc.RpcError)
    def service_refused(error: grpc.RpcError):
        if error.code() == grpc.StatusCode.UNAUTHENTICATED and g.get("person") is not None:
            shared.people.forget(g.get("session", ""))
            return to_sign_in()
        message, status = refusal(error)
        title = g._("Service unavailable") if status == 503 else g._("Refused")
        return render_template("error.html", title=title, message=message), status

    @app.errorhandler(404)
    def not_found(_error):
        return render_template("error.html", title=g._("Not found"), message=g._(
            "There is no such page. Check the address, or start from the menu.")), 404

    @app.context_processor
    def page_context() -> dict:
        current = g.get("person")
        bound = g.get("session") if current is not None else g.get("presession", "")
        field = f'<input type="hidden" name="{CSRF_FIELD}" value="{shared.csrf.token(bound or "")}">'
        return {"me": current, "csrf_token": Markup(field),  # noqa: S704 (a hex digest, nothing a person typed)
                "language": g.get("language", i18n.CHINESE), "production": settings.production}

    @app.get("/healthz")
    def healthz():
        return Response("ok\n", mimetype="text/plain")

    @app.get("/language/<code>")
    def language(code: str):
        response = redirect(safe_next(request.args.get("next")))
        if code in i18n.LANGUAGES:
            response.set_cookie(LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", secure=shared.secure,
                                httponly=True, path="/")
        return response

    from .views import register

    register(app)
    return app


def person_from(staff, token: str, expire_time, must_change: bool) -> Person:
    return Person(name=staff.name, display_name=staff.display_name or staff.name, roles=frozenset(staff.roles),
                  must_change_password=must_change, totp_enabled=staff.totp_enabled, token=token,
                  expires_at=float(expire_time.seconds))
