/**
 * Atomic file writes: content goes to a temporary file in the target's folder, is flushed to
 * disk (fsync), and is renamed over the target; the folder is fsynced so the rename itself is
 * durable. A crash or an error at any point leaves either the old file or the new one, never a
 * mix, and the temporary file is removed on failure.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Some filesystems do not allow fsync on directories; the rename is still atomic there.
  } finally {
    await handle?.close();
  }
}

export class AtomicFileWriter {
  private constructor(
    readonly target: string,
    readonly tempPath: string,
    private readonly handle: FileHandle,
  ) {}

  static async create(target: string): Promise<AtomicFileWriter> {
    const tempPath = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    return new AtomicFileWriter(target, tempPath, await open(tempPath, 'wx'));
  }

  private pending: Buffer[] = [];
  private pendingBytes = 0;
  written = 0;

  /** Buffers small writes and flushes in large blocks. */
  async write(data: string | Uint8Array): Promise<void> {
    const buffer = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.pending.push(buffer);
    this.pendingBytes += buffer.length;
    this.written += buffer.length;
    if (this.pendingBytes >= 1 << 20) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const block = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    await this.handle.write(block);
  }

  async commit(): Promise<void> {
    try {
      await this.flush();
      await this.handle.sync();
      await this.handle.close();
      await rename(this.tempPath, this.target);
      await syncDir(dirname(this.target));
    } catch (error) {
      await this.abort();
      throw error;
    }
  }

  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await rm(this.tempPath, { force: true });
  }
}

export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const writer = await AtomicFileWriter.create(target);
  try {
    await writer.write(data);
  } catch (error) {
    await writer.abort();
    throw error;
  }
  await writer.commit();
}
