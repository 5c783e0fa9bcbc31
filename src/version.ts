// The tool's version, written into trace headers and reports.
/** viotrace's version (kept equal to package.json's). */
export const VERSION = '0.1.0';
