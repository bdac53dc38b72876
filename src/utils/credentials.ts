/** Headers that carry a credential: a backend that sets one of its own never receives the caller's. */
export const CREDENTIAL_HEADERS: readonly string[] = ["api-key", "authorization"];

/** Whether a header name (any case) carries a credential. */
export const isCredentialHeader = (name: string): boolean => CREDENTIAL_HEADERS.includes(name.toLowerCase());
