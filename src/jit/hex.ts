/** Lowercase hex pairs separated by single spaces, `48 c7 c0 01 00 00 00`: how machine code is shown. */
export function toHex(bytes: Uint8Array | readonly number[]): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join(' ');
}
