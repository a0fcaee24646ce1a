import { readSync } from 'node:fs';

/** `length` bytes of `fd` from `position` (fewer at the end of the file). */
export function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    // One read is at most 2 GiB - 1 (the kernel's and libuv's limit).
    const n = readSync(fd, buf, got, Math.min(length - got, 1 << 30), position + got);
    if (n === 0) break;
    got += n;
  }
  return got === length ? buf : buf.subarray(0, got);
}
