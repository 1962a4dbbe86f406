/**
 * Where the dashboard's pages live in this browser's view: `/dashboard` on `whiskflow local`, the
 * web action's URL (`/api/v1/web/<ns>/whiskflow/dashboard.http`) on an OpenWhisk deployment. The
 * server writes it into the page (`data-base`), so links, API reads and the page's own routing
 * follow it.
 */
export const BASE = document.body.dataset.base ?? '/dashboard';
