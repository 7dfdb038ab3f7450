// A real OpenID Connect provider (npm's oidc-provider) on loopback for the tests of the
// "统一身份认证" login: started by tests/support/oidc.py as `node oidc_provider.mjs`, it
// listens on 127.0.0.1 at a free port, prints `LISTENING <issuer>` and serves until killed.
//
// Configuration comes as JSON in the OIDC_TEST_CONFIG environment variable:
//   {"client_id": ..., "client_secret": ..., "redirect_uris": [...],
//    "claim": "<the credit-code claim's name>",
//    "accounts": {"<login>": {"email": ..., "name": ..., "credit_code": ...}}}
// The provider's own development login page accepts any password for a login listed in
// "accounts" (an unlisted login is an account the provider does not know).
import http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(process.env.OIDC_TEST_CONFIG);
const claim = config.claim;

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: config.client_id,
      client_secret: config.client_secret,
      redirect_uris: config.redirect_uris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    // the organisation's credit code travels with the scope "organisation"
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      organisation: [claim],
    },
    scopes: ['openid', 'email', 'profile', 'organisation'],
    pkce: { required: () => true },
    cookies: { keys: ['loopback-test-provider-cookie-key'] },
    async findAccount(ctx, id) {
      const account = config.accounts[id];
      if (!account) return undefined;
      return {
        accountId: id,
        async claims() {
          const found = { sub: id, email: account.email, email_verified: true, name: account.name };
          if (account.credit_code) found[claim] = account.credit_code;
          return found;
        },
      };
    },
  });
  provider.proxy = false;
  server.on('request', provider.callback());
  process.stdout.write(`LISTENING ${issuer}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
