import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * Connector secrets at rest: AES-256-GCM with a key from the environment
 * (CONNECTOR_SECRETS_KEY, 32 bytes in base64). Stored as "v1.<iv>.<tag>.<ciphertext>"; a
 * tampered or foreign value fails to decrypt instead of yielding garbage.
 */
export function parseKey(base64: string): Buffer {
  const key = Buffer.from(base64, "base64");
  if (key.length !== 32) throw new Error("CONNECTOR_SECRETS_KEY must be 32 bytes in base64 (openssl rand -base64 32)");
  return key;
}

export function encryptSecret(plain: string, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const data = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return ["v1", iv.toString("base64"), cipher.getAuthTag().toString("base64"), data.toString("base64")].join(".");
}

export function decryptSecret(stored: string, key: Buffer): string {
  const [version, iv, tag, data] = stored.split(".");
  if (version !== "v1" || !iv || !tag || data === undefined) throw new Error("this secret was not written by Hourbridge (unknown format)");
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64"));
  decipher.setAuthTag(Buffer.from(tag, "base64"));
  try {
    return Buffer.concat([decipher.update(Buffer.from(data, "base64")), decipher.final()]).toString("utf8");
  } catch {
    throw new Error("this secret cannot be decrypted with the configured CONNECTOR_SECRETS_KEY");
  }
}
