import { createHash } from "node:crypto";
import type { StatSheet } from "./types.ts";

/**
 * Returns a stable hash of what the client sent, so a retried submission is recognised as a
 * duplicate while a different sheet under the same key is a conflict. Key order and number
 * spelling (`1.0` vs `1`) do not change it; a timestamp the client did not send is not part of it,
 * and neither is `sent_at`.
 */
export function fingerprintStatSheet(sheet: StatSheet): string {
  // sent_at changes on every retry by design (it is the client's clock at sending), so it is not content.
  const { sent_at: _sentAt, ...content } = sheet;
  return hashJson(content);
}

/** A stable hash of any JSON value, independent of key order: 32 hex characters of SHA-256. */
export function hashJson(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex").slice(0, 32);
}

/**
 * JSON with object keys sorted at every level, so equal values serialize identically. Written as
 * loops that append to one string: the map, filter and join per object it replaced took two thirds
 * of a sheet's preparation time (12 µs of 18).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) {
    let text = "[";
    for (let index = 0; index < value.length; index++) {
      if (index > 0) text += ",";
      text += canonicalJson(value[index]);
    }
    return text + "]";
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let text = "{";
  let first = true;
  for (const key of keys) {
    const field = record[key];
    if (field === undefined) continue;
    if (!first) text += ",";
    first = false;
    text += JSON.stringify(key) + ":" + canonicalJson(field);
  }
  return text + "}";
}
