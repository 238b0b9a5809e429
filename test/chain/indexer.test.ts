// Indexer end to end on PGlite (Ponder's embedded default): indexerSuite.ts.
import { indexerSuite } from './indexerSuite.ts'

indexerSuite('pglite')
