/** The one question the server asks of an auth scheme, and how the configured scheme is built. */
import type { AccessScope, AuthConfig, Principal } from '../contract.js';

export interface Authenticator {
  /**
   * Who is asking, given the request's Authorization header and the access the request needs;
   * throws a RegistryError (401 with its challenge) when the request may not proceed.
   */
  authenticate(authorization: string | undefined, needed: AccessScope[]): Promise<Principal>;
}

export const allowAll: Authenticator = {
  authenticate: async () => ({ user: '' }),
};

export async function createAuthenticator(config: AuthConfig): Promise<Authenticator> {
  switch (config.kind) {
    case 'none':
      return allowAll;
    case 'htpasswd': {
      const { HtpasswdAuthenticator } = await import('./htpasswd.js');
      return new HtpasswdAuthenticator(config.file, config.realm);
    }
    case 'token': {
      const { TokenAuthenticator } = await import('./token-verify.js');
      return TokenAuthenticator.create(config);
    }
  }
}
