// The contract's version on its own, so a caller that needs only the number loads nothing else.
export const CONTRACT_VERSION = 1;
