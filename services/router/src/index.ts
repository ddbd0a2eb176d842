export { routerService } from './service.js';
export { routeRequest, scoreRequest, inferMode } from './domain/routing.js';
export { TaskState, TERMINAL_STATUSES } from './domain/task-state.js';
export { branchFor, reportRefFor } from './domain/machine.js';
