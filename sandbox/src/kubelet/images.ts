/**
 * The sandbox's image registry. An image is either a directory under `sandbox/images/<name>/` (an `image.json`
 * with the image config and a `rootfs/` of files copied into the container) or a well-known public name mapped
 * onto the host's system directories. Anything else cannot be pulled, as on a real cluster.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultImagesDir } from '../locations.js';

export interface ImageConfig {
  entrypoint?: string[];
  cmd?: string[];
  /** `KEY=value` strings, as in an OCI image config. */
  env?: string[];
  workingDir?: string;
  /** The container gets the sandbox's own Node runtime as `/.devmode/bin/node` (not an OCI field). */
  projectNode?: boolean;
}

export interface ResolvedImage {
  /** The image as the pod spec named it. */
  image: string;
  /** `repository@sha256:…`, as container statuses report it. */
  imageID: string;
  config: ImageConfig;
  /** Files to copy into the container's root, if the image has any. */
  rootfs?: string;
}

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Public images served by the host's own system directories, with the default command each one has. */
const HOST_IMAGES: Record<string, ImageConfig> = {
  busybox: { cmd: ['sh'], env: [DEFAULT_PATH] },
  alpine: { cmd: ['/bin/sh'], env: [DEFAULT_PATH] },
  debian: { cmd: ['bash'], env: [DEFAULT_PATH] },
  ubuntu: { cmd: ['/bin/bash'], env: [DEFAULT_PATH] },
  node: { entrypoint: [], cmd: ['node'], env: [DEFAULT_PATH] },
  python: { cmd: ['python3'], env: [DEFAULT_PATH, 'LANG=C.UTF-8'] },
};

/** Splits `docker.io/library/busybox:1.36` into the repository `busybox` and the tag. */
export function parseImageName(image: string): { repository: string; tag: string } {
  let rest = image.trim();
  let tag = 'latest';
  const at = rest.indexOf('@');
  if (at >= 0) {
    tag = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  for (const prefix of ['docker.io/', 'index.docker.io/', 'registry-1.docker.io/']) {
    if (rest.startsWith(prefix)) rest = rest.slice(prefix.length);
  }
  if (rest.startsWith('library/')) rest = rest.slice('library/'.length);
  return { repository: rest, tag };
}

export class ImageNotFoundError extends Error {
  public constructor(image: string) {
    const { repository, tag } = parseImageName(image);
    super(
      `rpc error: code = NotFound desc = failed to pull and unpack image "${image}": failed to resolve reference ` +
        `"${image}": ${repository}:${tag}: not found`,
    );
    this.name = 'ImageNotFoundError';
  }
}

function digestOf(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/** Resolves an image reference, or throws `ImageNotFoundError` (a pull failure). */
export function resolveImage(image: string, imagesDir = defaultImagesDir()): ResolvedImage {
  const { repository } = parseImageName(image);
  if (/^[a-z0-9][a-z0-9._/-]*$/.test(repository) && !repository.split('/').includes('..')) {
    const dir = join(imagesDir, repository);
    const configFile = join(dir, 'image.json');
    if (existsSync(configFile)) {
      const text = readFileSync(configFile, 'utf8');
      const config = JSON.parse(text) as ImageConfig;
      const rootfs = join(dir, 'rootfs');
      return {
        image,
        imageID: `${repository}@${digestOf(text)}`,
        config,
        ...(existsSync(rootfs) ? { rootfs } : {}),
      };
    }
  }
  const host = HOST_IMAGES[repository];
  if (host !== undefined) return { image, imageID: `${repository}@${digestOf(repository)}`, config: host };
  throw new ImageNotFoundError(image);
}
