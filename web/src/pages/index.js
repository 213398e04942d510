// The pages of the app, in the order of the navigation. A page is
// {path, nav (i18n key), roles (undefined: every signed-in user), full
// (no padding), render(main, ctx), leave()}. One line per page.
import {mapPage} from './map.js';
import {gapsPage} from './gaps.js';
import {operatorPage} from './operator.js';
import {allocationPage} from './allocation.js';
import {reportsPage} from './reports.js';

export const pages = [
  mapPage,
  gapsPage,
  operatorPage,
  allocationPage,
  reportsPage,
];
