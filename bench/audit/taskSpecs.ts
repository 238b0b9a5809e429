// The honest task mix lives with the test helpers (the audit tests use it).
export {
  type TaskSpec,
  taskSpec,
  withTemperature,
} from '../../test/helpers/auditTasks.ts'
