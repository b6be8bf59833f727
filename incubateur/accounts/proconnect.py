"""ProConnect (#15): the OpenID Connect authorisation code flow with the State's identity federation.

mozilla-django-oidc's backend sends the token request, reads the userinfo response and keeps the pending logins in
the session (`oidc_states`: state → nonce); this module adds what ProConnect needs and the library leaves out (its
`_verify_jws` checks neither the audience nor the issuer, and a userinfo `sub` is never compared with the ID
token's). See docs/adr/0004-proconnect.md.

- Configuration: `PROCONNECT_ISSUER`, `PROCONNECT_CLIENT_ID`, `PROCONNECT_CLIENT_SECRET` (all three, else
  `configured()` is False and nothing here runs), `PROCONNECT_SCOPES`, `PROCONNECT_ACR_VALUES`. The endpoints and
  the keys come from `<issuer>/.well-known/openid-configuration`, cached `PROCONNECT_DISCOVERY_MAX_AGE` seconds;
  the JWKS is fetched again once when a token names a key it does not have (a key rotation).
- `state` and `nonce`: 43 characters each (ProConnect wants at least 32), kept in the session, used once,
  `PROCONNECT_STATE_MAX_AGE` seconds at most.
- The authorisation request carries exactly `response_type`, `client_id`, `redirect_uri`, `scope`, `state`, `nonce`
  and `acr_values` (ProConnect refuses any other parameter); `redirect_uri` is `BASE_URL` + the callback's path,
  the same in the token request, so it matches what was registered to the character.
- The ID token: signature (the provider's JWKS, the registered algorithm only), issuer, audience (and `azp` when
  there are several), expiry, issue time and nonce. The userinfo response must be a signed JWT
  (`application/jwt`): its signature is checked against the same JWKS, its issuer and audience when it states them,
  and its `sub` must be the ID token's.
"""

import hashlib
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.urls import reverse
from django.utils.encoding import smart_str
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import add_state_and_verifier_and_nonce_to_session

SESSION_STATES = "oidc_states"  # mozilla-django-oidc's: {state: {"nonce", "code_verifier", "added_on", "next"}}
SESSION_ID_TOKEN = "proconnect_id_token"  # the ID token of a ProConnect login: `id_token_hint` at logout
SESSION_LOGOUT_STATE = "proconnect_logout_state"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
ALGORITHMS = {"RS256", "ES256"}  # asymmetric only: the keys are the provider's JWKS


class ProConnectError(Exception):
    """The login could not go through. `reason` names the check that refused it (the page and the journal)."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Identity:
    """What a verified ProConnect login tells about a person."""

    sub: str
    email: str
    given_name: str
    usual_name: str
    uid: str
    siret: str
    acr: str
    id_token: str


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    end_session_endpoint: str


def configured() -> bool:
    return bool(settings.PROCONNECT_ISSUER and settings.PROCONNECT_CLIENT_ID and settings.PROCONNECT_CLIENT_SECRET)


def redirect_uri() -> str:
    return settings.BASE_URL + reverse("accounts:proconnect_callback")


def post_logout_redirect_uri() -> str:
    return settings.BASE_URL + reverse("accounts:proconnect_logout_callback")


def _check_url(url: str) -> str:
    """`url` if it is https (or http on the loopback, for a provider run by the tests), else refused."""
    parts = urlsplit(url or "")
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK):
        return url
    raise ProConnectError("unavailable", f"not an https URL: {url!r}")


def _get(url: str) -> requests.Response:
    try:
        response = requests.get(_check_url(url), timeout=settings.PROCONNECT_TIMEOUT)
        response.raise_for_status()
    except requests.RequestException as error:
        raise ProConnectError("unavailable", str(error)) from error
    return response


def _cache_key(kind: str, url: str) -> str:
    return f"proconnect:{kind}:{hashlib.sha256(url.encode()).hexdigest()[:32]}"


def provider() -> Provider:
    """The provider's endpoints, from its discovery document (cached)."""
    issuer = settings.PROCONNECT_ISSUER.rstrip("/")
    url = f"{issuer}/.well-known/openid-configuration"
    key = _cache_key("discovery", url)
    document = cache.get(key)
    if document is None:
        try:
            document = _get(url).json()
        except ValueError as error:
            raise ProConnectError("unavailable", "the discovery document is not JSON") from error
        if not isinstance(document, dict) or str(document.get("issuer", "")).rstrip("/") != issuer:
            raise ProConnectError("unavailable", "the discovery document names another issuer")
        cache.set(key, document, settings.PROCONNECT_DISCOVERY_MAX_AGE)
    try:
        found = Provider(
            issuer=document["issuer"],
            authorization_endpoint=_check_url(document["authorization_endpoint"]),
            token_endpoint=_check_url(document["token_endpoint"]),
            userinfo_endpoint=_check_url(document["userinfo_endpoint"]),
            jwks_uri=_check_url(document["jwks_uri"]),
            end_session_endpoint=_check_url(document["end_session_endpoint"])
            if document.get("end_session_endpoint")
            else "",
        )
    except KeyError as error:
        raise ProConnectError("unavailable", f"the discovery document has no {error}") from error
    return found


def _with_query(url: str, params: dict) -> str:
    return f"{url}{'&' if urlsplit(url).query else '?'}{urlencode(params)}"


# --- The login ---------------------------------------------------------------------------------------------------


def authorization_url(request, *, next_path: str) -> str:
    """Where the button sends the browser: a new state and nonce are kept in the session."""
    endpoint = provider().authorization_endpoint
    params = {
        "response_type": "code",
        "client_id": settings.PROCONNECT_CLIENT_ID,
        "redirect_uri": redirect_uri(),
        "scope": settings.PROCONNECT_SCOPES,
        "state": secrets.token_urlsafe(32),  # 43 characters
        "nonce": secrets.token_urlsafe(32),
    }
    if settings.PROCONNECT_ACR_VALUES:
        params["acr_values"] = settings.PROCONNECT_ACR_VALUES
    add_state_and_verifier_and_nonce_to_session(request, params["state"], params)
    request.session[SESSION_STATES][params["state"]]["next"] = next_path
    request.session.modified = True
    return _with_query(endpoint, params)


def take_state(request, state: str) -> dict | None:
    """The pending login of `state`, removed from the session (a state serves once); None when it is unknown,
    already used or too old."""
    states = request.session.get(SESSION_STATES)
    if not state or not isinstance(states, dict) or state not in states:
        return None
    entry = states.pop(state)
    request.session.modified = True
    request.session.save()  # at once: a replay racing this request finds it gone
    if time.time() - float(entry.get("added_on", 0)) > settings.PROCONNECT_STATE_MAX_AGE:
        return None
    return entry


class ProConnectBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, configured from the discovery document, with ProConnect's checks.

    Not in AUTHENTICATION_BACKENDS: the callback view calls `exchange()` itself and the account is logged in with
    the ModelBackend (as for a login link), so nothing changes when ProConnect is not configured.
    """

    def __init__(self, found: Provider | None = None):  # the parent's reads OIDC_* settings: none here
        self.provider = found or provider()
        self.OIDC_OP_TOKEN_ENDPOINT = self.provider.token_endpoint
        self.OIDC_OP_USER_ENDPOINT = self.provider.userinfo_endpoint
        self.OIDC_OP_JWKS_ENDPOINT = self.provider.jwks_uri
        self.OIDC_RP_CLIENT_ID = settings.PROCONNECT_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.PROCONNECT_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.PROCONNECT_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.UserModel = get_user_model()
        if self.OIDC_RP_SIGN_ALGO not in ALGORITHMS:
            raise ProConnectError("unavailable", f"PROCONNECT_SIGN_ALGO must be one of {sorted(ALGORITHMS)}")

    def get_settings(self, attr, *args):  # the parent's calls read these, not Django's OIDC_* settings
        values = {
            "OIDC_TIMEOUT": settings.PROCONNECT_TIMEOUT,
            "OIDC_VERIFY_SSL": True,
            "OIDC_PROXY": None,
            "OIDC_TOKEN_USE_BASIC_AUTH": False,  # ProConnect: client_secret_post
            "OIDC_ALLOW_UNSECURED_JWT": False,
            "OIDC_USE_NONCE": True,
            "OIDC_VERIFY_KID": True,
        }
        if attr in values:
            return values[attr]
        if args:
            return args[0]
        raise KeyError(attr)

    # --- Keys ---------------------------------------------------------------------------------------------------

    def _jwks(self, *, fresh: bool) -> dict:
        key = _cache_key("jwks", self.OIDC_OP_JWKS_ENDPOINT)
        jwks = None if fresh else cache.get(key)
        if jwks is None:
            try:
                jwks = _get(self.OIDC_OP_JWKS_ENDPOINT).json()
            except ValueError as error:
                raise ProConnectError("unavailable", "the JWKS is not JSON") from error
            if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
                raise ProConnectError("unavailable", "the JWKS has no keys")
            cache.set(key, jwks, settings.PROCONNECT_DISCOVERY_MAX_AGE)
        return jwks

    def retrieve_matching_jwk(self, token):
        """The provider's key that signed `token` (same `kid` and algorithm), from the cached JWKS, fetched again
        once when it has no such key."""
        header = jwt.get_unverified_header(token)
        for fresh in (False, True):
            for jwk in self._jwks(fresh=fresh)["keys"]:
                if jwk.get("kid") != smart_str(header.get("kid")) or jwk.get("use", "sig") != "sig":
                    continue
                if "alg" in jwk and jwk["alg"] != smart_str(header.get("alg")):
                    continue
                return jwt.PyJWK(jwk, algorithm=self.OIDC_RP_SIGN_ALGO)
        raise SuspiciousOperation("No key of the provider's JWKS matches the token.")

    def _decode(self, token: str, *, what: str, strict: bool) -> dict:
        """Verify `token`'s signature and claims. `strict` (the ID token): iss, aud, exp, iat and sub are required;
        otherwise (userinfo) iss and aud are checked when present, exp when present."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
                raise ProConnectError(f"{what}_signature", f"algorithm {header.get('alg')!r}")
            key = self.retrieve_matching_jwk(token)
            options = {"require": ["iss", "aud", "exp", "iat", "sub"]} if strict else {"verify_aud": False}
            claims = jwt.decode(
                token,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID if strict else None,
                issuer=self.provider.issuer if strict else None,
                options=options,
                leeway=30,
            )
        except jwt.ExpiredSignatureError as error:
            raise ProConnectError(f"{what}_expired", str(error)) from error
        except (jwt.InvalidSignatureError, jwt.DecodeError, jwt.InvalidAlgorithmError, jwt.PyJWKError) as error:
            raise ProConnectError(f"{what}_signature", str(error)) from error
        except SuspiciousOperation as error:
            raise ProConnectError(f"{what}_signature", str(error)) from error
        except jwt.InvalidTokenError as error:  # issuer, audience, missing claim, issued in the future
            raise ProConnectError(f"{what}_claims", str(error)) from error
        if not strict:
            if "iss" in claims and claims["iss"] != self.provider.issuer:
                raise ProConnectError(f"{what}_claims", "issuer")
            audience = claims.get("aud")
            if audience is not None and self.OIDC_RP_CLIENT_ID not in (
                [audience] if isinstance(audience, str) else audience
            ):
                raise ProConnectError(f"{what}_claims", "audience")
        return claims

    # --- The exchange -------------------------------------------------------------------------------------------

    def exchange(self, *, code: str, nonce: str, iss: str | None = None) -> Identity:
        """The authorisation code → verified ID token → verified userinfo → the person's identity. `iss`: the
        callback's `iss` parameter, when the provider sends one (RFC 9207), must be its issuer."""
        if iss is not None and iss != self.provider.issuer:
            raise ProConnectError("callback_issuer", f"the callback names the issuer {iss!r}")
        try:
            tokens = self.get_token(
                {
                    "client_id": self.OIDC_RP_CLIENT_ID,
                    "client_secret": self.OIDC_RP_CLIENT_SECRET,
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect_uri(),
                }
            )
        except (requests.RequestException, ValueError) as error:
            raise ProConnectError("token", str(error)) from error
        id_token, access_token = tokens.get("id_token"), tokens.get("access_token")
        if not (isinstance(id_token, str) and isinstance(access_token, str)):
            raise ProConnectError("token", "no id_token or access_token")

        claims = self._decode(id_token, what="id_token", strict=True)
        audience = claims["aud"]
        if not isinstance(audience, str) and len(audience) > 1 and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise ProConnectError("id_token_claims", "azp")
        if not secrets.compare_digest(str(claims.get("nonce", "")), nonce or ""):
            raise ProConnectError("nonce", "the ID token's nonce is not the one of this login")

        userinfo = self.userinfo(access_token)
        if userinfo.get("sub") != claims["sub"]:
            raise ProConnectError("userinfo_claims", "the userinfo sub is not the ID token's")
        email = str(userinfo.get("email") or "").strip()
        if not email:
            raise ProConnectError("email_missing", "no e-mail in userinfo")
        return Identity(
            sub=str(claims["sub"]),
            email=email,
            given_name=str(userinfo.get("given_name") or ""),
            usual_name=str(userinfo.get("usual_name") or ""),
            uid=str(userinfo.get("uid") or ""),
            siret=str(userinfo.get("siret") or ""),
            acr=str(claims.get("acr") or ""),
            id_token=id_token,
        )

    def userinfo(self, access_token: str) -> dict:
        """The userinfo response: a JWT signed by the provider (ProConnect's `application/jwt`), verified; plain
        JSON is refused."""
        try:
            response = requests.get(
                self.OIDC_OP_USER_ENDPOINT,
                headers={"Authorization": f"Bearer {access_token}"},
                timeout=settings.PROCONNECT_TIMEOUT,
            )
            response.raise_for_status()
        except requests.RequestException as error:
            raise ProConnectError("userinfo", str(error)) from error
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/jwt":
            raise ProConnectError("userinfo_unsigned", f"content type {content_type!r}")
        return self._decode(response.text.strip(), what="userinfo", strict=False)


# --- The logout --------------------------------------------------------------------------------------------------


def end_session_url(request, *, id_token: str) -> str | None:
    """Where logout sends the browser to end the ProConnect session too (None: the provider has no such endpoint
    or cannot be reached). Call it after `logout()`: the state is kept in the new session."""
    try:
        endpoint = provider().end_session_endpoint
    except ProConnectError:
        return None
    if not endpoint:
        return None
    state = secrets.token_urlsafe(32)
    request.session[SESSION_LOGOUT_STATE] = state
    return _with_query(
        endpoint,
        {"id_token_hint": id_token, "state": state, "post_logout_redirect_uri": post_logout_redirect_uri()},
    )


def take_logout_state(request, state: str) -> bool:
    """True when `state` is the one this browser's logout sent (once)."""
    expected = request.session.pop(SESSION_LOGOUT_STATE, None)
    return bool(state and expected and secrets.compare_digest(str(expected), state))
