/**
 * An incremental 64-bit digest (two FNV-1a lanes). Not cryptographic: it exists so two runs can
 * be compared by one short string — same seed and parameters, same digest.
 */
export class Digest {
  private lo = 0x811c9dc5;
  private hi = 0x050c5d1f;

  addInt(n: number): void {
    this.lo = Math.imul(this.lo ^ (n | 0), 0x01000193);
    this.hi = Math.imul(this.hi ^ ((n / 0x100000000) | 0), 0x0100019b) ^ this.lo;
  }

  /** Times are hashed at microsecond resolution. */
  addTime(ms: number): void {
    this.addInt(Math.round(ms * 1000));
  }

  addString(s: string): void {
    let a = this.lo ^ s.length;
    let b = this.hi;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x0100019b);
    }
    this.lo = a;
    this.hi = b;
  }

  hex(): string {
    return (
      (this.hi >>> 0).toString(16).padStart(8, '0') + (this.lo >>> 0).toString(16).padStart(8, '0')
    );
  }
}
