// Types for the JSDoc check (tsc --checkJs, scripts/jscheck.sh); not served to pages.

interface Window {
  /** The meeting page's hook for automated tests (meetingpage.js). */
  meshmeet?: any;
}
