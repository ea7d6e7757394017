// Electron's safeStorage as the station's keychain vault. The async API (encryptStringAsync /
// decryptStringAsync) is used where this Electron has it; older ones fall back to the
// synchronous calls. The policy — refusing `basic_text`, never the only way in — lives in
// main/station/keychain.ts, which plain Node tests cover.
import { safeStorage } from 'electron';
import type { KeychainVault } from '../station/keychain';

type AsyncSafeStorage = {
  isAsyncEncryptionAvailable?: () => Promise<boolean>;
  encryptStringAsync?: (plain: string) => Promise<Buffer>;
  decryptStringAsync?: (wrapped: Buffer) => Promise<{ result: string } | string>;
};

export function safeStorageVault(): KeychainVault {
  const modern = safeStorage as unknown as AsyncSafeStorage;
  return {
    backend: () => (process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : process.platform),
    available: async () =>
      modern.isAsyncEncryptionAvailable ? modern.isAsyncEncryptionAvailable() : safeStorage.isEncryptionAvailable(),
    encrypt: async (plain) =>
      modern.encryptStringAsync ? modern.encryptStringAsync(plain) : safeStorage.encryptString(plain),
    decrypt: async (wrapped) => {
      if (!modern.decryptStringAsync) return safeStorage.decryptString(wrapped);
      const decrypted = await modern.decryptStringAsync(wrapped);
      return typeof decrypted === 'string' ? decrypted : decrypted.result;
    },
  };
}
