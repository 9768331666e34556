import { describe, expect, it } from "vitest";
import { base64ToBytes, bytesToBase64 } from "./base64";

describe("base64", () => {
  it("Should round-trip every byte value and agree with btoa on text", () => {
    const all = Uint8Array.from({ length: 256 }, (_, index) => index);
    expect(base64ToBytes(bytesToBase64(all))).toEqual(all);
    expect(bytesToBase64(new TextEncoder().encode("hello"))).toBe(btoa("hello"));
  });

  it("Should encode more than one chunk (100 KiB) the same as one pass", () => {
    const large = Uint8Array.from({ length: 100 * 1024 }, (_, index) => (index * 7) % 256);
    const encoded = bytesToBase64(large);
    expect(encoded.length).toBe(Math.ceil(large.length / 3) * 4);
    expect(base64ToBytes(encoded)).toEqual(large);
  });

  it("Should refuse text that is not base64", () => {
    expect(() => base64ToBytes("not base64!")).toThrow();
  });
});
