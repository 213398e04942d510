// The pages of the app, in the order of the navigation. A page is
// {path, nav (i18n key), roles (undefined: every signed-in user), full
// (no padding), render(main, ctx), leave()}. One line per page.
import {mapPage} from './map.js';
// import: gaps
// import: operator
import {allocationPage} from './allocation.js';
// import: reports

export const pages = [
  mapPage,
  // page: gaps
  // page: operator
  allocationPage,
  // page: reports
];
