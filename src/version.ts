/** carpd's version: `carpd --version`, status and metrics (kept equal to package.json's by a test). */
export const CARPD_VERSION = '0.2.0';
