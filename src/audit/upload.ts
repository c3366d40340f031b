import { DefaultArtifactClient } from '@actions/artifact';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.js';

export interface UploadedArtifact {
  id: number | undefined;
  size: number | undefined;
  files: number;
}

/** Every file below `dir`, so the artifact mirrors the audit directory. */
export function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/**
 * Uploads the audit directory as one artifact. Called from the post step, so
 * failures warn instead of failing a job whose outcome is already decided.
 */
export async function uploadAuditArtifact(
  dir: string,
  name: string,
  logger: Logger,
): Promise<UploadedArtifact | undefined> {
  const files = listFiles(dir);
  if (files.length === 0) {
    logger.warn(`Audit directory ${dir} is empty; nothing to upload.`);
    return undefined;
  }
  try {
    const client = new DefaultArtifactClient();
    const res = await client.uploadArtifact(name, files, dir, { compressionLevel: 6 });
    logger.info(
      `Uploaded audit log as artifact "${name}" (${files.length} files, ${res.size ?? '?'} bytes).`,
    );
    return { id: res.id, size: res.size, files: files.length };
  } catch (err) {
    logger.warn(
      `Could not upload the audit artifact "${name}": ${err instanceof Error ? err.message : String(err)}. ` +
        `The files stay in ${dir} on the runner.`,
    );
    return undefined;
  }
}
