// A real OpenID provider (node-oidc-provider, a certified implementation) configured like ProConnect, for the tests
// of #15. Started by tests/oidc_provider/__init__.py on 127.0.0.1; never used outside the tests.
//
// Like ProConnect: everything under /api/v2 (issuer http://127.0.0.1:PORT/api/v2, discovery, /authorize, /token,
// /userinfo, /session/end, /jwks); ID token and userinfo signed RS256, userinfo as `application/jwt`; an `acr`
// claim (eidas1); client_secret_post; RP-initiated logout with id_token_hint, state and post_logout_redirect_uri
// (ended at once, as ProConnect does). The login page lists the test accounts (one button each).
//
// Environment: PORT, CLIENT_ID, CLIENT_SECRET, REDIRECT_URIS and POST_LOGOUT_REDIRECT_URIS (JSON arrays).
//
// Test modes, so that the tests can see the relying party refuse what a broken or hostile provider sends:
// POST /__test__/mode {"mode": "..."} alters the next token or userinfo response only, then the provider behaves
// again. The altered tokens are re-signed with the provider's own key unless the mode is about the signature:
//   tamper-userinfo   userinfo JWT with a changed e-mail, signature left as it was (so it no longer matches)
//   userinfo-json     userinfo as plain JSON, unsigned
//   userinfo-sub      userinfo signed, with another `sub` than the ID token's
//   nonce             ID token signed, with another nonce
//   expired           ID token signed, expired (iat and exp an hour ago)
//   audience          ID token signed, for another client
//   issuer            ID token signed, by another issuer
//   foreign-key       ID token signed by a key that is not in the JWKS (same kid)
import http from 'node:http';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const PORT = Number(process.env.PORT);
const BASE = `http://127.0.0.1:${PORT}`;
const PREFIX = '/api/v2';
const ISSUER = `${BASE}${PREFIX}`;
const KID = 'incubateur-test-key';

export const ACCOUNTS = {
  'pc-sub-camille': {
    email: 'camille.dupont@beta.gouv.fr', given_name: 'Camille', usual_name: 'Dupont', uid: 'cdupont',
    siret: '13002526500013',
  },
  'pc-sub-dominique': {
    email: 'dominique.martin@beta.gouv.fr', given_name: 'Dominique', usual_name: 'Martin', uid: 'dmartin',
    siret: '13002526500013',
  },
  'pc-sub-inconnu': {
    email: 'personne.inconnue@exemple.gouv.fr', given_name: 'Personne', usual_name: 'Inconnue', uid: 'pinconnue',
    siret: '11000201100044',
  },
};

async function signingKey() {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  return { ...(await jose.exportJWK(privateKey)), kid: KID, alg: 'RS256', use: 'sig' };
}

const jwk = await signingKey();
const privateKey = await jose.importJWK(jwk, 'RS256');
const foreignKey = await jose.importJWK(await signingKey(), 'RS256');
let mode = '';

const sign = (payload, key = privateKey) => new jose.SignJWT(payload)
  .setProtectedHeader({ alg: 'RS256', kid: KID })
  .sign(key);

const provider = new Provider(ISSUER, {
  clients: [{
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    redirect_uris: JSON.parse(process.env.REDIRECT_URIS),
    post_logout_redirect_uris: JSON.parse(process.env.POST_LOGOUT_REDIRECT_URIS),
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_post',
    id_token_signed_response_alg: 'RS256',
    userinfo_signed_response_alg: 'RS256',
  }],
  jwks: { keys: [jwk] },
  cookies: { keys: ['incubateur-test-cookie-key'] },
  acrValues: ['eidas1'],
  claims: {
    openid: ['sub'],
    email: ['email'],
    given_name: ['given_name'],
    usual_name: ['usual_name'],
    uid: ['uid'],
    siret: ['siret'],
  },
  scopes: ['openid', 'email', 'given_name', 'usual_name', 'uid', 'siret'],
  routes: {
    authorization: '/authorize',
    token: '/token',
    userinfo: '/userinfo',
    end_session: '/session/end',
    jwks: '/jwks',
  },
  pkce: { required: () => false },
  features: {
    devInteractions: { enabled: false },
    jwtUserinfo: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      // ProConnect ends the session at once: the confirmation form submits itself.
      async logoutSource(ctx, form) {
        const confirmed = form.replace('</form>', '<input type="hidden" name="logout" value="yes"></form>');
        ctx.body = `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Déconnexion</title></head>
<body><h1>Déconnexion de ProConnect (test)</h1>${confirmed}
<button type="submit" form="op.logoutForm">Se déconnecter</button>
<script>document.getElementById('op.logoutForm').submit();</script></body></html>`;
      },
    },
  },
  interactions: {
    url: (ctx, interaction) => `/interaction/${interaction.uid}`,
  },
  async findAccount(ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...account }) };
  },
  ttl: { AccessToken: 60, AuthorizationCode: 30, IdToken: 3600, Interaction: 600, Session: 12 * 3600, Grant: 12 * 3600 },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Erreur</title></head>
<body><h1>Erreur du fournisseur</h1><pre>${JSON.stringify(out)}</pre></body></html>`;
  },
});

// The test modes: the responses of /token and /userinfo, altered once.
provider.use(async (ctx, next) => {
  await next();
  if (!mode) return;
  if (ctx.path === '/token' && ctx.status === 200 && ctx.body?.id_token) {
    const claims = jose.decodeJwt(ctx.body.id_token);
    const now = Math.floor(Date.now() / 1000);
    const altered = {
      nonce: () => sign({ ...claims, nonce: 'x'.repeat(43) }),
      expired: () => sign({ ...claims, iat: now - 7200, exp: now - 3600 }),
      audience: () => sign({ ...claims, aud: 'un-autre-client' }),
      issuer: () => sign({ ...claims, iss: 'http://127.0.0.1:1/api/v2' }),
      'foreign-key': () => sign(claims, foreignKey),
    }[mode];
    if (altered) {
      mode = '';
      ctx.body = { ...ctx.body, id_token: await altered() };
    }
  } else if (ctx.path === '/userinfo' && ctx.status === 200 && typeof ctx.body === 'string') {
    const claims = jose.decodeJwt(ctx.body);
    if (mode === 'tamper-userinfo') {
      mode = '';
      const [header, , signature] = ctx.body.split('.');
      const payload = Buffer.from(JSON.stringify({ ...claims, email: 'quelquun.dautre@beta.gouv.fr' })).toString('base64url');
      ctx.body = `${header}.${payload}.${signature}`;
    } else if (mode === 'userinfo-json') {
      mode = '';
      ctx.type = 'application/json';
      ctx.body = JSON.stringify(claims);
    } else if (mode === 'userinfo-sub') {
      mode = '';
      ctx.body = await sign({ ...claims, sub: 'pc-sub-dominique' });
    }
  }
});

function page(title, body) {
  return `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>${title}</title></head>
<body><main><h1>${title}</h1>${body}</main></body></html>`;
}

async function readForm(req) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return new URLSearchParams(raw);
}

async function interaction(req, res) {
  const url = new URL(req.url, BASE);
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'GET') {
    const buttons = Object.entries(ACCOUNTS).map(([sub, account]) => `<li><button type="submit" name="login"
      value="${sub}">${account.email}</button></li>`).join('');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page('Connexion ProConnect (test)', `<form method="post" action="${url.pathname}"><ul>${buttons}</ul></form>`));
    return;
  }
  const accountId = (await readForm(req)).get('login');
  if (!ACCOUNTS[accountId]) {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end('unknown account');
    return;
  }
  const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, {
    login: { accountId, acr: 'eidas1', amr: ['pwd'] },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
}

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  try {
    if (req.url.startsWith(`${PREFIX}/`)) {
      req.originalUrl = req.url;
      req.url = req.url.slice(PREFIX.length);
      callback(req, res);
    } else if (req.url.startsWith('/interaction/')) {
      await interaction(req, res);
    } else if (req.url === '/__test__/mode' && req.method === 'POST') {
      let raw = '';
      for await (const chunk of req) raw += chunk;
      mode = JSON.parse(raw).mode || '';
      res.writeHead(204);
      res.end();
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  } catch (error) {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(String(error?.stack || error));
  }
});
server.listen(PORT, '127.0.0.1', () => console.log(`oidc-provider ready on ${ISSUER}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
