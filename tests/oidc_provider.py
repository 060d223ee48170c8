"""A small but real OpenID Connect provider for the tests, on loopback.

Authorization-code flow as Streamlit's `st.login` (Authlib) drives it: a discovery document, an
authorize page with one "Sign in as …" button per test user (no password: these are test users),
a token endpoint that checks the client secret, the redirect address and the PKCE verifier and
issues an RS256-signed id_token, a JWKS endpoint with the public key, and userinfo.
Signing uses joserfc (Authlib's JOSE library); PKCE uses Authlib's own S256 helper.

    with OidcProvider([TestUser("sam@example.com", "Sam Sender")]) as provider:
        provider.allow_redirect("http://127.0.0.1:8501/oauth2callback")
        provider.issuer  # -> http://127.0.0.1:PORT
"""

from __future__ import annotations

import base64
import html
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.routing import Route

from lib.sandbox.server import ServerThread

CLIENT_ID = "campaign-console"
CLIENT_SECRET = "test-client-secret-0123456789"  # noqa: S105 - a test provider's own secret
TOKEN_LIFETIME = 300


@dataclass(frozen=True)
class TestUser:
    __test__ = False  # not a pytest test class
    email: str
    name: str

    @property
    def sub(self) -> str:
        return "user-" + self.email.split("@")[0]


@dataclass
class _Grant:
    user: TestUser
    redirect_uri: str
    nonce: str | None
    code_challenge: str | None
    issued: float = field(default_factory=time.time)


class OidcProvider:
    def __init__(self, users: list[TestUser], client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET):
        self.users = {u.email: u for u in users}
        self.client_id, self.client_secret = client_id, client_secret
        self.redirect_uris: set[str] = set()
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key-1", "use": "sig", "alg": "RS256"})
        self._codes: dict[str, _Grant] = {}
        self._access: dict[str, TestUser] = {}
        self.sign_ins: list[str] = []  # emails, in the order tokens were issued
        app = Starlette(routes=[
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/authorize", self.authorize, methods=["GET", "POST"]),
            Route("/token", self.token, methods=["POST"]),
            Route("/userinfo", self.userinfo),
            Route("/jwks", self.jwks),
        ])
        self.server = ServerThread(app, name="oidc-provider")

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        return self.server.url

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def allow_redirect(self, uri: str) -> None:
        self.redirect_uris.add(uri)

    def start(self) -> OidcProvider:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> OidcProvider:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- endpoints ---------------------------------------------------------------------------

    async def discovery(self, request: Request) -> JSONResponse:
        i = self.issuer
        return JSONResponse({
            "issuer": i,
            "authorization_endpoint": f"{i}/authorize",
            "token_endpoint": f"{i}/token",
            "userinfo_endpoint": f"{i}/userinfo",
            "jwks_uri": f"{i}/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "email", "email_verified", "name"],
        })

    async def jwks(self, request: Request) -> JSONResponse:
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    def _bad_authorize(self, params) -> str | None:
        if params.get("client_id") != self.client_id:
            return "unknown client"
        if params.get("redirect_uri") not in self.redirect_uris:
            return "this redirect address is not registered"
        if params.get("response_type") != "code":
            return "only the authorization-code flow is supported"
        if "openid" not in (params.get("scope") or "").split():
            return "the openid scope is required"
        if params.get("code_challenge") and params.get("code_challenge_method") != "S256":
            return "only S256 PKCE is supported"
        return None

    async def authorize(self, request: Request):
        params = dict(request.query_params) if request.method == "GET" else dict(await request.form())
        problem = self._bad_authorize(params)
        if problem:
            return HTMLResponse(f"<h1>Sign-in refused</h1><p>{html.escape(problem)}</p>", status_code=400)
        if request.method == "GET":
            return HTMLResponse(self._sign_in_page(params))
        user = self.users.get(params.get("login", ""))
        if user is None:
            return HTMLResponse("<h1>Unknown test user</h1>", status_code=400)
        code = secrets.token_urlsafe(24)
        self._codes[code] = _Grant(user, params["redirect_uri"], params.get("nonce"), params.get("code_challenge"))
        query = urlencode({"code": code, **({"state": params["state"]} if params.get("state") else {})})
        return RedirectResponse(f"{params['redirect_uri']}?{query}", status_code=302)

    def _sign_in_page(self, params: dict) -> str:
        hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in params.items() if k != "login")
        buttons = "".join(f'<button type="submit" name="login" value="{html.escape(u.email)}">'
                          f"Sign in as {html.escape(u.name)}</button>" for u in self.users.values())
        return (f"<!doctype html><title>Test identity provider</title><h1>Test identity provider</h1>"
                f'<form method="post" action="/authorize">{hidden}{buttons}</form>')

    def _client_ok(self, request: Request, form) -> bool:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        return client_id == self.client_id and secrets.compare_digest(secret, self.client_secret)

    async def token(self, request: Request) -> JSONResponse:
        form = dict(await request.form())
        if not self._client_ok(request, form):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = self._codes.pop(form.get("code", ""), None)  # a code works once
        if grant is None or form.get("grant_type") != "authorization_code" or time.time() - grant.issued > 60:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if form.get("redirect_uri") != grant.redirect_uri:
            return JSONResponse({"error": "invalid_grant", "error_description": "redirect_uri differs"}, 400)
        verifier = form.get("code_verifier")
        if grant.code_challenge and (not verifier or create_s256_code_challenge(verifier) != grant.code_challenge):
            return JSONResponse({"error": "invalid_grant", "error_description": "PKCE verification failed"}, 400)
        access_token = secrets.token_urlsafe(24)
        self._access[access_token] = grant.user
        self.sign_ins.append(grant.user.email)
        body = {"access_token": access_token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME,
                "scope": "openid email profile", "id_token": self._id_token(grant)}
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    def _id_token(self, grant: _Grant) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": grant.user.sub, "aud": self.client_id, "iat": now,
                  "exp": now + TOKEN_LIFETIME, **self._claims(grant.user)}
        if grant.nonce:
            claims["nonce"] = grant.nonce
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key)

    @staticmethod
    def _claims(user: TestUser) -> dict:
        return {"email": user.email, "email_verified": True, "name": user.name}

    async def userinfo(self, request: Request) -> JSONResponse:
        header = request.headers.get("authorization", "")
        user = self._access.get(header[7:]) if header.lower().startswith("bearer ") else None
        if user is None:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        return JSONResponse({"sub": user.sub, **self._claims(user)})
