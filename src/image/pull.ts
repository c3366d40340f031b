// Pull by digest, then prove the engine holds exactly the pinned bytes.
import type Docker from 'dockerode';
import { UserError } from '../errors.js';

interface PullMessage {
  error?: string;
  errorDetail?: { message?: string };
}

export async function pullByDigest(docker: Docker, reference: string): Promise<void> {
  const stream = (await docker.pull(reference)) as NodeJS.ReadableStream;
  const messages = await new Promise<PullMessage[]>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, out: PullMessage[]) =>
      err ? reject(err) : resolve(out),
    ),
  );
  const failed = messages.find((m) => m.error);
  if (failed) throw new Error(failed.errorDetail?.message ?? failed.error);
}

/**
 * The pulled image must be listed under the pinned digest (RepoDigests) and have
 * the expected ID. Pure over an inspect result, so tables can test it.
 */
export function verifyPulled(
  inspect: { Id: string; RepoDigests?: string[] },
  reference: string,
  expectedId: string,
): void {
  const [repo, digest] = reference.split('@') as [string, string];
  const listed = (inspect.RepoDigests ?? []).some(
    (d) => d === reference || (d.endsWith(`@${digest}`) && d.startsWith(repo)),
  );
  if (!listed) {
    throw new UserError(
      `pulled image is not listed under the pinned digest ${digest} (has: ${(inspect.RepoDigests ?? []).join(', ') || 'none'})`,
      {
        where: 'blueprint.yaml image.reference',
        fix: 'the registry served other bytes than pinned; check the registry and the pin',
      },
    );
  }
  if (inspect.Id !== expectedId) {
    throw new UserError(`image verification failed: expected image ID ${expectedId}, actual ${inspect.Id}`, {
      where: 'blueprint.yaml image.id',
      fix: 'the manifest digest and image ID in the blueprint disagree; publish a corrected blueprint version',
    });
  }
}
