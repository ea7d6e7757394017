// The one place the X.509 library gets its crypto provider: Node's WebCrypto, passed in
// explicitly. @peculiar/x509 needs a Reflect metadata polyfill loaded before it.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509, webcrypto };

/** WebCrypto types from Node's own definitions (main has no DOM lib). */
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;
export type SigningAlgorithm = webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams;
