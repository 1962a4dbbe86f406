/** Environment variable through which a container is handed its private work directory. */
export const WORK_DIR_ENV = 'WHISKFLOW_ACTION_WORK_DIR';
