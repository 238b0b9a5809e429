// Indexer end to end on a real PostgreSQL server (started in a temp dir by
// postgres.ts, dropped after), through DATABASE_URL: indexerSuite.ts.
import { indexerSuite } from './indexerSuite.ts'

indexerSuite('postgres')
