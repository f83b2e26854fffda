// Pieces of the Debian package that scripts/package.mjs assembles, kept apart so that the tests
// (test/package/package-parts.test.ts) can check them without building a package: the version
// from contrib/debian/changelog, the check that the addon was built for the Node being shipped,
// the launchers that run the shipped Node, and DEBIAN/md5sums.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** Where the package installs its runtime; the packaged launchers' `#!` line names it. */
export const PACKAGED_NODE = '/usr/lib/carpd/node';

/**
 * The version of the changelog's top entry, when it is upstream's version with a Debian revision
 * ("carpd (0.2.0-1) unstable; urgency=medium" for 0.2.0); undefined otherwise.
 */
export function debianVersion(changelog, upstream) {
  const top = /^carpd \(([^)\s]+)\) [a-z-]+; urgency=[a-z]+$/m.exec(changelog.split('\n')[0] ?? '');
  const version = top?.[1];
  if (version === undefined) return undefined;
  return version.startsWith(`${upstream}-`) && /^\d+$/.test(version.slice(upstream.length + 1)) ? version : undefined;
}

/**
 * The Node version whose headers node-gyp built build/Release against: build/config.gypi names
 * the headers' directory (nodedir), whose include/node/node_version.h has the version.
 */
export function addonNodeVersion(root) {
  let nodedir;
  try {
    nodedir = /"nodedir": "([^"]+)"/.exec(readFileSync(join(root, 'build', 'config.gypi'), 'utf8'))?.[1];
  } catch {
    return undefined;
  }
  if (nodedir === undefined) return undefined;
  let header;
  try {
    header = readFileSync(join(nodedir, 'include', 'node', 'node_version.h'), 'utf8');
  } catch {
    return undefined;
  }
  const part = (name) => new RegExp(`^#define NODE_${name}_VERSION (\\d+)$`, 'm').exec(header)?.[1];
  const [major, minor, patch] = [part('MAJOR'), part('MINOR'), part('PATCH')];
  return major === undefined || minor === undefined || patch === undefined ? undefined : `${major}.${minor}.${patch}`;
}

/**
 * bin/carpd or bin/carpctl of the checkout as the package ships it: not a script of its own (mode
 * 0644, no `#!` line), only ever run by usr/bin/NAME with the packaged Node.
 */
export function packagedLauncher(text, name) {
  const [first, ...rest] = text.split('\n');
  if (first !== '#!/usr/bin/env node') return undefined;
  return [`// Run by /usr/bin/${name} with ${PACKAGED_NODE} (the carpd package).`, ...rest].join('\n');
}

/**
 * usr/bin/NAME: runs usr/lib/carpd/bin/NAME with usr/lib/carpd/node, both found from the
 * script's own path (a link to it is followed), so the PATH's `node` never matters and an
 * unpacked tree runs from where it is. sh and readlink are in every Debian (Essential).
 */
export function launcherScript(name) {
  return [
    '#!/bin/sh',
    `# ${name} from the carpd package: runs with the Node runtime the package carries`,
    '# (usr/lib/carpd/node, the one its addon and code cache were made for), whatever `node` is on',
    '# the PATH; the paths are relative to this file, so an unpacked tree runs from where it is.',
    'self=$0',
    'case $self in */*) ;; *) self=./$self ;; esac',
    'if [ -L "$self" ]; then self=$(readlink -f -- "$self"); fi',
    'lib=${self%/*}/../lib/carpd',
    `exec "$lib/node" "$lib/bin/${name}" "$@"`,
    '',
  ].join('\n');
}

/** DEBIAN/md5sums of a package tree: every regular file outside DEBIAN/, in byte order of path. */
export function md5sums(tree) {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (dir === tree && entry.name === 'DEBIAN') continue;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) files.push(relative(tree, path));
    }
  };
  walk(tree);
  files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return files.map((file) => `${createHash('md5').update(readFileSync(join(tree, file))).digest('hex')}  ${file}\n`).join('');
}

/**
 * Node's LICENSE (Node's own and its bundled libraries'), for debian/copyright: beside the
 * binary as a distribution installs it (share/doc/nodejs or share/doc/node) or as Node's
 * release tarball unpacks (LICENSE at the top).
 */
export function nodeLicensePath(execPath) {
  const prefix = dirname(dirname(realpathSync(execPath)));
  const candidates = [join(prefix, 'share', 'doc', 'nodejs', 'LICENSE'), join(prefix, 'share', 'doc', 'node', 'LICENSE'), join(prefix, 'LICENSE')];
  return candidates.find((path) => existsSync(path) && lstatSync(path).isFile());
}
