/** berth's own version (kept equal to package.json's; a test checks it). */
export const BERTH_VERSION = '0.1.0';
