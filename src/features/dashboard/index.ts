/** F3: a Prometheus dashboard per application, restored after a reload. */
export { register } from './dashboardHost';
