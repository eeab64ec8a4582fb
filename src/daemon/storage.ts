/** The real storage implementations berthd runs with (the snapshotter and the layer decompressor). */
import type { Readable } from 'node:stream';
import { notImplemented } from '../core/errors.js';
import type { StorageFactory } from './daemon.js';

export const storageFactory: StorageFactory = {
  async layers() {
    return {
      applyLayer: () => Promise.reject(notImplemented('ERR_NO_SNAPSHOTTER', 'layer storage is not available yet')),
      has: async () => false,
      remove: async () => {},
      list: async () => [],
      graphDriver: () => ({ name: 'overlayfs', data: {} }),
    };
  },
  async decompress(body: Readable) {
    return body;
  },
};
