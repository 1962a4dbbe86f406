/** Environment variable through which a container is handed its private work directory. */
export const WORK_DIR_ENV = 'WHISKFLOW_ACTION_WORK_DIR';
/** The file descriptor on which the platform hands a container its secret (proxy-process.ts). */
export const SECRET_FD = 4;
/** The request header that carries the container's secret. */
export const SECRET_HEADER = 'x-whiskflow-container-secret';
